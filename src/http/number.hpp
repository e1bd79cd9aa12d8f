#pragma once
// Decimal numbers as they go onto the wire and into the access log (status
// codes, Content-Length, Content-Range, bytes sent): one formatter, digits
// written with std::to_chars into the caller's buffer, no allocation.
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <string>

namespace cache_tier::http {

// Digits of the largest std::uint64_t.
inline constexpr std::size_t kMaxDecimalDigits = 20;

// Write the digits of `value` at `out`, which has room for kMaxDecimalDigits;
// returns the end of what was written.
inline char* write_decimal(char* out, std::uint64_t value) {
    return std::to_chars(out, out + kMaxDecimalDigits, value).ptr;
}

inline void append_decimal(std::string& out, std::uint64_t value) {
    char digits[kMaxDecimalDigits];
    out.append(digits, write_decimal(digits, value));
}

}  // namespace cache_tier::http
