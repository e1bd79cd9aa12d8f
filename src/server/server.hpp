#pragma once
// The server core: listening socket, one event loop per thread, connections,
// timeouts and signals. The HTTP logic lives in the handler it is given.
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "http/handler.hpp"

namespace cache_tier::server {

struct ListenAddress {
    std::string host;
    std::uint16_t port = 0;
};

struct ServerOptions {
    std::string host = "127.0.0.1";
    std::uint16_t port = 8080;
    unsigned threads = 0;                  // 0: one per core
    std::size_t max_connections = 10000;   // open client connections, all threads together
    std::size_t max_header_bytes = 8192;   // request line + fields; past it: 431
    std::size_t max_request_line = 8192;   // past it: 414
    std::chrono::seconds header_timeout{10};     // from a request's first byte to its last header byte
    std::chrono::seconds keepalive_timeout{60};  // idle between requests
    std::chrono::seconds send_timeout{60};       // a response that makes no progress
    std::chrono::seconds shutdown_timeout{30};   // SIGTERM: how long responses in flight may take
    std::string access_log;  // "" off, "-" stdout, else a file
    std::string server_name = "cache-tier";
    // HTTPS listeners (none by default), all with this certificate (PEM, its
    // chain after it) and key. SIGHUP reads the pair again.
    std::vector<ListenAddress> tls_listen;
    std::string tls_certificate;
    std::string tls_certificate_key;
};

class Server {
public:
    // Binds the listening sockets and loads the TLS certificate at once:
    // throws std::runtime_error if it cannot ("listen 127.0.0.1:80:
    // Permission denied", "tls_certificate /etc/x.pem: No such file...").
    Server(ServerOptions options, http::HandlerFactory handlers);
    ~Server();
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    std::uint16_t port() const;  // the bound port (useful with port 0)
    std::vector<std::uint16_t> tls_ports() const;  // the HTTPS listeners' bound ports, in order

    // Serve until SIGTERM or SIGINT (then finish the responses in flight) or stop().
    // SIGHUP reopens the access log and reloads the TLS certificate and key.
    void run();
    void stop();  // thread-safe: begins the same graceful stop as SIGTERM

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// "host:port", "[v6]:port": how addresses are shown in logs and metrics.
std::string address_text(const std::string& host, std::uint16_t port);

// Raise RLIMIT_NOFILE's soft limit to its hard limit, as nginx's
// worker_rlimit_nofile does; returns the new soft limit.
std::uint64_t raise_open_file_limit();

}  // namespace cache_tier::server
