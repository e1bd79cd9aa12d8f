#pragma once
// Optional whitespace, RFC 9110 §5.6.3: OWS = *( SP / HTAB ).
#include <string_view>

namespace cache_tier::http {

inline bool is_ows(char c) { return c == ' ' || c == '\t'; }

// `s` without leading and trailing OWS.
inline std::string_view trim_ows(std::string_view s) {
    while (!s.empty() && is_ows(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_ows(s.back())) s.remove_suffix(1);
    return s;
}

}  // namespace cache_tier::http
