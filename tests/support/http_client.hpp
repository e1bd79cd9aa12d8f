#pragma once
// A raw HTTP/1.1 client over a real socket: it sends exactly the bytes a test
// gives it, so tests can pipeline, send malformed requests and watch closes.
#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace ct_test {

using namespace std::chrono_literals;

struct HttpResponse {
    int status = 0;
    std::string status_line;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    // First value of a header (case-insensitive name), "" if absent.
    std::string header(const std::string& name) const;
    bool has_header(const std::string& name) const;
};

// Over TLS when `port` is registered as an HTTPS port (support/tls.hpp):
// the handshake happens in the constructor; the certificate is not checked
// (tests that check it use curl, Python or openssl s_client).
class Connection {
public:
    explicit Connection(int port, const std::string& host = "127.0.0.1");
    ~Connection();
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    bool send(const std::string& bytes);
    // Read one response. `head` = the request was HEAD (no body follows).
    // nullopt on timeout, a closed connection or garbage.
    std::optional<HttpResponse> read_response(bool head = false, std::chrono::milliseconds timeout = 5s);
    // One read with a deadline (decrypted over TLS): >0 bytes, 0 when the
    // server closed or reset the connection, -1 when nothing came in time.
    long recv_some(char* buf, std::size_t size, std::chrono::steady_clock::time_point deadline);
    // True if the server closes the connection (EOF or reset) within `timeout`.
    bool wait_closed(std::chrono::milliseconds timeout = 5s);
    int fd() const { return fd_; }  // the socket: raw bytes on it bypass TLS
    bool tls() const { return ssl_ != nullptr; }

private:
    bool fill(std::chrono::steady_clock::time_point deadline);
    // One read of what has arrived, decrypted; <= 0 at a close or an error.
    long receive(char* buf, std::size_t len);
    int fd_ = -1;
    void* ssl_ = nullptr;  // SSL*, when over TLS
    std::string buffer_;
};

// "GET target HTTP/1.1" with Host and the given extra header lines ("Name: v").
std::string make_request(const std::string& method, const std::string& target,
                         const std::vector<std::string>& headers = {});

// One request on a new connection.
std::optional<HttpResponse> http_request(int port, const std::string& method, const std::string& target,
                                         const std::vector<std::string>& headers = {});
inline std::optional<HttpResponse> http_get(int port, const std::string& target,
                                            const std::vector<std::string>& headers = {}) {
    return http_request(port, "GET", target, headers);
}

}  // namespace ct_test
