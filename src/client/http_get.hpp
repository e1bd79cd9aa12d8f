#pragma once
// One HTTP GET with libcurl. Each thread keeps one easy handle, and with it
// its open connections, so a verify round trip costs no TCP handshake.
#include <chrono>
#include <cstddef>
#include <string>

namespace cache_tier::client {

struct HttpResult {
    bool responded = false;  // an HTTP response arrived in time
    long status = 0;
    std::string body;
    std::string failure;  // why there is no response: libcurl's message
};

// Answers bigger than this are not what a verify route sends: refused.
inline constexpr std::size_t max_answer_bytes = 64 * 1024;

// GET `url` within `timeout` (connect included). Never throws for network
// problems; redirects are not followed. An https server's certificate is
// verified against `ca_file` (PEM) and the system's trust store.
HttpResult http_get(const std::string& url, std::chrono::milliseconds timeout, const std::string& ca_file = {});

}  // namespace cache_tier::client
