// HTTP dates (RFC 9110 §5.6.7) as clients and origins send them, through
// http::parse_http_date, and dates formatted by http::format_http_date.
//
// Properties: a date that parses formats back to an IMF-fixdate that parses to
// the same time; any time in years 0000-9999 formats to 29 characters and
// parses back to itself.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#include "fuzz_support.hpp"
#include "http/http_date.hpp"

namespace {

constexpr std::int64_t kFirstFormattable = -62167219200;  // 0000-01-01T00:00:00Z
constexpr std::int64_t kLastFormattable = 253402300799;   // 9999-12-31T23:59:59Z

void check_round_trip(std::int64_t time) {
    using namespace cache_tier;
    if (time < kFirstFormattable || time > kLastFormattable) return;
    const std::string text = http::format_http_date(time);
    FUZZ_CHECK(text.size() == 29);
    FUZZ_CHECK(text.ends_with(" GMT"));
    const auto parsed = http::parse_http_date(text);
    FUZZ_CHECK(parsed && *parsed == time);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace cache_tier;
    if (const auto time = http::parse_http_date(fuzz::as_text(data, size))) check_round_trip(*time);
    // The same bytes as a time: every second, far past and far future included.
    std::int64_t time = 0;
    std::memcpy(&time, data, std::min(size, sizeof time));
    check_round_trip(time);
    check_round_trip(time % (kLastFormattable + 1));
    http::format_http_date(time);  // clamped, never out of its buffer
    return 0;
}
