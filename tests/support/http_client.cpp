#include "support/http_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstring>
#include <stdexcept>

#include "support/tls.hpp"

namespace ct_test {

namespace {
SSL_CTX* client_context() {
    static SSL_CTX* ctx = [] {
        // OpenSSL writes with write(2): a server that closed first must not kill the test.
        std::signal(SIGPIPE, SIG_IGN);
        SSL_CTX* c = SSL_CTX_new(TLS_client_method());
        SSL_CTX_set_verify(c, SSL_VERIFY_NONE, nullptr);
        SSL_CTX_set_alpn_protos(c, reinterpret_cast<const unsigned char*>("\x08http/1.1"), 9);
        return c;
    }();
    return ctx;
}

bool iequals(const std::string& a, const std::string& b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
           });
}
}  // namespace

std::string HttpResponse::header(const std::string& name) const {
    for (auto& [k, v] : headers)
        if (iequals(k, name)) return v;
    return "";
}

bool HttpResponse::has_header(const std::string& name) const {
    return std::any_of(headers.begin(), headers.end(), [&](auto& h) { return iequals(h.first, name); });
}

Connection::Connection(int port, const std::string& host) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    ::inet_pton(AF_INET, host.c_str(), &addr.sin_addr);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        ::close(fd_);
        fd_ = -1;
        throw std::runtime_error("connect to port " + std::to_string(port) + " failed: " + std::strerror(errno));
    }
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (!is_tls_port(port)) return;
    // Blocking TLS calls, bounded: a record that never completes ends the read.
    timeval limit{10, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit);
    SSL* ssl = SSL_new(client_context());
    SSL_set_fd(ssl, fd_);
    SSL_set_tlsext_host_name(ssl, "localhost");
    ssl_ = ssl;
    if (SSL_connect(ssl) != 1) {
        ERR_clear_error();
        SSL_free(ssl);
        ::close(fd_);
        fd_ = -1;
        ssl_ = nullptr;
        throw std::runtime_error("TLS handshake with port " + std::to_string(port) + " failed");
    }
}

Connection::~Connection() {
    if (ssl_) SSL_free(static_cast<SSL*>(ssl_));
    if (fd_ >= 0) ::close(fd_);
}

long Connection::receive(char* buf, std::size_t len) {
    if (!ssl_) return ::recv(fd_, buf, len, 0);
    std::size_t n = 0;
    if (SSL_read_ex(static_cast<SSL*>(ssl_), buf, len, &n) == 1) return static_cast<long>(n);
    ERR_clear_error();
    return -1;
}

bool Connection::send(const std::string& bytes) {
    size_t off = 0;
    while (off < bytes.size()) {
        ssize_t n;
        if (ssl_) {
            std::size_t written = 0;
            n = SSL_write_ex(static_cast<SSL*>(ssl_), bytes.data() + off, bytes.size() - off, &written) == 1
                    ? static_cast<ssize_t>(written)
                    : -1;
            if (n < 0) ERR_clear_error();
        } else {
            n = ::send(fd_, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
        }
        if (n <= 0) return false;
        off += static_cast<size_t>(n);
    }
    return true;
}

bool Connection::fill(std::chrono::steady_clock::time_point deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd_, POLLIN, 0};
    const bool held = ssl_ && SSL_pending(static_cast<SSL*>(ssl_)) > 0;  // decrypted, not read yet
    if (!held && ::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
    char buf[65536];
    long n = receive(buf, sizeof buf);
    if (n <= 0) return false;
    buffer_.append(buf, static_cast<size_t>(n));
    return true;
}

std::optional<HttpResponse> Connection::read_response(bool head, std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    size_t end;
    while ((end = buffer_.find("\r\n\r\n")) == std::string::npos)
        if (!fill(deadline)) return std::nullopt;
    std::string head_text = buffer_.substr(0, end);
    buffer_.erase(0, end + 4);

    HttpResponse r;
    size_t line_end = head_text.find("\r\n");
    r.status_line = head_text.substr(0, line_end);
    if (r.status_line.rfind("HTTP/1.", 0) != 0 || r.status_line.size() < 12) return std::nullopt;
    r.status = std::atoi(r.status_line.c_str() + 9);
    size_t pos = line_end == std::string::npos ? head_text.size() : line_end + 2;
    while (pos < head_text.size()) {
        size_t e = head_text.find("\r\n", pos);
        if (e == std::string::npos) e = head_text.size();
        std::string line = head_text.substr(pos, e - pos);
        size_t colon = line.find(':');
        if (colon != std::string::npos) {
            std::string v = line.substr(colon + 1);
            v.erase(0, v.find_first_not_of(" \t"));
            r.headers.emplace_back(line.substr(0, colon), v);
        }
        pos = e + 2;
    }
    bool no_body = head || r.status == 304 || r.status == 204 || (r.status >= 100 && r.status < 200);
    if (!no_body) {
        std::string cl = r.header("Content-Length");
        if (!cl.empty()) {
            size_t len = std::stoull(cl);
            while (buffer_.size() < len)
                if (!fill(deadline)) return std::nullopt;
            r.body = buffer_.substr(0, len);
            buffer_.erase(0, len);
        } else {
            // No length: the body runs to the end of the connection.
            while (fill(deadline)) {
            }
            r.body = std::move(buffer_);
            buffer_.clear();
        }
    }
    return r;
}

long Connection::recv_some(char* buf, std::size_t size, std::chrono::steady_clock::time_point deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    pollfd p{fd_, POLLIN, 0};
    const bool held = ssl_ && SSL_pending(static_cast<SSL*>(ssl_)) > 0;
    if (!held && (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0)) return -1;
    long n = receive(buf, size);
    return n < 0 ? 0 : n;
}

bool Connection::wait_closed(std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        pollfd p{fd_, POLLIN, 0};
        const bool held = ssl_ && SSL_pending(static_cast<SSL*>(ssl_)) > 0;
        if (!held && ::poll(&p, 1, static_cast<int>(std::max<long>(1, left.count()))) <= 0) return false;
        char buf[4096];
        long n = receive(buf, sizeof buf);
        if (n <= 0) return true;
        buffer_.append(buf, static_cast<size_t>(n));
    }
    return false;
}

std::string make_request(const std::string& method, const std::string& target, const std::vector<std::string>& headers) {
    std::string r = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
    for (auto& h : headers) r += h + "\r\n";
    return r + "\r\n";
}

std::optional<HttpResponse> http_request(int port, const std::string& method, const std::string& target,
                                         const std::vector<std::string>& headers) {
    Connection c(port);
    if (!c.send(make_request(method, target, headers))) return std::nullopt;
    return c.read_response(method == "HEAD");
}

}  // namespace ct_test
