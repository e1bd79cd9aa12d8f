#include "server/clock.hpp"

#include <ctime>

#include "http/http_date.hpp"

namespace cache_tier::server {

void CoarseClock::update() {
    steady_ = std::chrono::steady_clock::now();
    auto unix_now = std::chrono::duration_cast<std::chrono::seconds>(
                        std::chrono::system_clock::now().time_since_epoch())
                        .count();
    if (unix_now == unix_) return;
    unix_ = unix_now;
    date_header_ = "Date: " + http::format_http_date(unix_) + "\r\n";
    std::time_t t = static_cast<std::time_t>(unix_);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[40];
    std::strftime(buf, sizeof buf, "%d/%b/%Y:%H:%M:%S +0000", &tm);
    log_time_ = buf;
}

}  // namespace cache_tier::server
