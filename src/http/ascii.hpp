#pragma once
// ASCII case-insensitive comparison: field names, tokens and codings are
// case-insensitive in HTTP (RFC 9110 §5.1, §8.4.1), whatever the locale.
#include <string_view>

namespace cache_tier::http {

inline char ascii_lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; }

inline bool iequals_ascii(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
    return true;
}

}  // namespace cache_tier::http
