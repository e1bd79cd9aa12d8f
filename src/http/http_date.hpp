#pragma once
// HTTP dates, RFC 9110 §5.6.7.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace cache_tier::http {

// IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT" (always 29 characters).
std::string format_http_date(std::int64_t seconds_since_epoch);

// Accepts IMF-fixdate, the obsolete RFC 850 form and asctime's form (§5.6.7);
// nullopt for anything else.
std::optional<std::int64_t> parse_http_date(std::string_view text);

}  // namespace cache_tier::http
