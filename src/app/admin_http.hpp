#pragma once
// One call to a cache-tier server's admin API, with libcurl: any method, the
// bearer token, an optional JSON body. For the admin commands of the CLI.
#include <chrono>
#include <string>

namespace cache_tier::app {

struct AdminReply {
    bool responded = false;  // an HTTP response arrived in time
    long status = 0;
    std::string body;
    std::string failure;  // why there is no response
};

// `url` is complete (base, path and query, already percent-encoded). An https
// server's certificate is verified against `ca_file` (PEM; empty: the
// system's trust store only).
AdminReply admin_call(const std::string& method, const std::string& url, const std::string& token,
                      const std::string& json_body, std::chrono::milliseconds timeout, const std::string& ca_file);

}  // namespace cache_tier::app
