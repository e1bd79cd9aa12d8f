#pragma once
// Peers that misbehave on purpose, for the client's unit tests: a server that
// answers every request with the same bytes (garbage, 500, oversized), and a
// socket that accepts connections but never answers. A real cache-tier server
// does neither, so the integration tests cannot show these cases.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace cache_tier::client::testing {

// A listening TCP socket on a free port of 127.0.0.1.
inline int listen_on_loopback(int& port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd, 64) != 0)
        throw std::runtime_error("cannot listen on 127.0.0.1");
    socklen_t len = sizeof addr;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    port = ntohs(addr.sin_port);
    return fd;
}

// Accepts connections (the kernel completes the handshake) and never answers.
class SilentServer {
public:
    SilentServer() : fd_(listen_on_loopback(port_)) {}
    ~SilentServer() { ::close(fd_); }
    std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port_); }

private:
    int port_ = 0;
    int fd_;
};

// Answers each request with `response` (raw bytes) and closes the connection.
class CannedServer {
public:
    explicit CannedServer(std::string response) : response_(std::move(response)), fd_(listen_on_loopback(port_)) {
        thread_ = std::thread([this] { serve(); });
    }
    ~CannedServer() {
        stop_ = true;
        thread_.join();
        ::close(fd_);
    }
    std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port_); }
    int requests() const { return requests_; }
    std::vector<std::string> request_lines() const {
        std::lock_guard lock(mutex_);
        return request_lines_;
    }

    // A complete HTTP/1.1 response with the given status and body.
    static std::string response(int status, const std::string& body,
                                const std::string& content_type = "application/json") {
        return "HTTP/1.1 " + std::to_string(status) + " Canned\r\nContent-Type: " + content_type +
               "\r\nContent-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
    }

private:
    void serve() {
        while (!stop_) {
            pollfd p{fd_, POLLIN, 0};
            if (::poll(&p, 1, 50) <= 0) continue;
            const int conn = ::accept(fd_, nullptr, nullptr);
            if (conn < 0) continue;
            std::string request;
            char buf[4096];
            while (request.find("\r\n\r\n") == std::string::npos && request.size() < 65536) {
                pollfd c{conn, POLLIN, 0};
                if (::poll(&c, 1, 2000) <= 0) break;
                const ssize_t n = ::read(conn, buf, sizeof buf);
                if (n <= 0) break;
                request.append(buf, static_cast<std::size_t>(n));
            }
            {
                std::lock_guard lock(mutex_);
                request_lines_.push_back(request.substr(0, request.find("\r\n")));
            }
            ++requests_;
            std::size_t sent = 0;
            while (sent < response_.size()) {
                const ssize_t n = ::send(conn, response_.data() + sent, response_.size() - sent, MSG_NOSIGNAL);
                if (n <= 0) break;
                sent += static_cast<std::size_t>(n);
            }
            ::close(conn);
        }
    }

    std::string response_;
    int port_ = 0;
    int fd_;
    std::atomic<bool> stop_{false};
    std::atomic<int> requests_{0};
    mutable std::mutex mutex_;
    std::vector<std::string> request_lines_;
    std::thread thread_;
};

}  // namespace cache_tier::client::testing
