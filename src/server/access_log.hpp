#pragma once
// The access log, in nginx's "combined" format, shared by all server threads.
// Each line goes out in one write() on an O_APPEND descriptor, so lines from
// different threads never interleave. SIGHUP reopens the file (log rotation).
#include <shared_mutex>
#include <string>
#include <string_view>

namespace cache_tier::server {

class AccessLog {
public:
    // `target`: "-" for standard output, else a file path (created, appended to).
    // Throws std::runtime_error saying why the file cannot be opened.
    explicit AccessLog(std::string target);
    ~AccessLog();
    AccessLog(const AccessLog&) = delete;
    AccessLog& operator=(const AccessLog&) = delete;

    void write(std::string_view line);
    // Reopen the file by name (after it was renamed by logrotate). Returns false and keeps the old one on failure.
    bool reopen();

private:
    std::string target_;
    int fd_ = -1;
    std::shared_mutex mutex_;  // writers share; reopen is exclusive
};

// Append `value` to `out` the way nginx escapes log variables: '"', '\' and
// bytes outside printable ASCII become \xHH. An empty value is logged as "-".
void append_log_escaped(std::string& out, std::string_view value);

}  // namespace cache_tier::server
