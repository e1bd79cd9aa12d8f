#pragma once
// The access log, in nginx's "combined" format, shared by all server threads.
// The line is built here from what the connection passes (AccessEntry); each
// goes out in one write() on an O_APPEND descriptor, so lines from different
// threads never interleave. SIGHUP reopens the file (log rotation).
#include <cstdint>
#include <shared_mutex>
#include <string>
#include <string_view>

#include "common/unique_fd.hpp"
#include "http/request.hpp"

namespace cache_tier::server {

// What one line says about a request and its response.
struct AccessEntry {
    std::string_view peer;                  // client address
    std::string_view time;                  // nginx's $time_local
    const http::Request* request = nullptr;  // null, or no method: the request line could not be parsed
    int status = 0;
    std::uint64_t body_bytes = 0;           // body bytes sent
};

class AccessLog {
public:
    // `target`: "-" for standard output, else a file path (created, appended to).
    // Throws std::runtime_error saying why the file cannot be opened.
    explicit AccessLog(std::string target);
    AccessLog(const AccessLog&) = delete;
    AccessLog& operator=(const AccessLog&) = delete;

    // One line for `entry`, formatted in a buffer each thread reuses.
    void write(const AccessEntry& entry);
    // Reopen the file by name (after it was renamed by logrotate). Returns false and keeps the old one on failure.
    bool reopen();

private:
    void write_line(std::string_view line);

    std::string target_;
    UniqueFd fd_;
    std::shared_mutex mutex_;  // writers share; reopen is exclusive
};

// Append the "combined" line for `entry`, newline included:
// $remote_addr - - [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent"
void append_combined_line(std::string& out, const AccessEntry& entry);

// Append `value` to `out` the way nginx escapes log variables: '"', '\' and
// bytes outside printable ASCII become \xHH. An empty value is logged as "-".
void append_log_escaped(std::string& out, std::string_view value);

}  // namespace cache_tier::server
