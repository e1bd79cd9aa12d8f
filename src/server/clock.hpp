#pragma once
// A per-thread coarse clock: the Date header and the access log's time are
// formatted once a second, not once per request.
#include <chrono>
#include <cstdint>
#include <string>

namespace cache_tier::server {

class CoarseClock {
public:
    CoarseClock() { update(); }
    // Re-read the system clock; reformat the strings when the second changed.
    void update();
    std::chrono::steady_clock::time_point now() const { return steady_; }
    std::int64_t unix_seconds() const { return unix_; }
    // "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
    const std::string& date_header() const { return date_header_; }
    // "06/Nov/1994:08:49:37 +0000", nginx's $time_local in UTC
    const std::string& log_time() const { return log_time_; }

private:
    std::chrono::steady_clock::time_point steady_;
    std::int64_t unix_ = -1;
    std::string date_header_;
    std::string log_time_;
};

}  // namespace cache_tier::server
