#include "app/byte_size.hpp"

#include <string>

namespace cache_tier::app {

namespace {

std::string_view trimmed(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

Error bad(std::string_view text, std::string_view why) {
    return Error{"expected a size such as 1048576, 512K, 10M, 1.5G or 2T (K = 1024 bytes), got '" +
                 std::string(text) + "'" + (why.empty() ? "" : ": " + std::string(why))};
}

int shift_of(char suffix) {
    switch (suffix) {
        case 'k': case 'K': return 10;
        case 'm': case 'M': return 20;
        case 'g': case 'G': return 30;
        case 't': case 'T': return 40;
        default: return -1;
    }
}

}  // namespace

Result<std::uint64_t> parse_byte_size(std::string_view raw) {
    const std::string_view text = trimmed(raw);
    if (text.empty()) return bad(raw, "empty");
    if (text.front() == '-') return bad(raw, "a size cannot be negative");
    std::string_view number = text;
    int shift = 0;
    if (const char last = text.back(); last < '0' || last > '9') {
        shift = shift_of(last);
        if (shift < 0) return bad(raw, std::string("unknown unit '") + last + "' (use K, M, G or T)");
        number.remove_suffix(1);
    }
    const auto dot = number.find('.');
    const std::string_view whole = number.substr(0, dot);
    const std::string_view fraction = dot == std::string_view::npos ? std::string_view{} : number.substr(dot + 1);
    if (whole.empty() || whole.find_first_not_of("0123456789") != std::string_view::npos ||
        fraction.find_first_not_of("0123456789") != std::string_view::npos ||
        (dot != std::string_view::npos && fraction.empty()))
        return bad(raw, "");
    if (dot != std::string_view::npos && shift == 0) return bad(raw, "a fraction of a byte needs a unit (1.5K)");

    // Exact arithmetic: whole << shift, plus the fraction's share of one unit.
    const Error too_large{"size '" + std::string(raw) + "' is too large (at most " + std::to_string(kMaxByteSize) +
                          " bytes)"};
    std::uint64_t value = 0;
    for (char c : whole) {
        if (value > (kMaxByteSize - static_cast<unsigned>(c - '0')) / 10) return too_large;
        value = value * 10 + static_cast<unsigned>(c - '0');
    }
    if (shift > 0 && value > (kMaxByteSize >> shift)) return too_large;
    value <<= shift;
    // The fraction, digit by digit: each adds digit * unit / 10^i, rounded down at the end.
    std::uint64_t unit = std::uint64_t{1} << shift;
    std::uint64_t numerator = 0, denominator = 1;
    for (char c : fraction.substr(0, 12)) {  // 12 digits are finer than a byte of a terabyte
        numerator = numerator * 10 + static_cast<unsigned>(c - '0');
        denominator *= 10;
    }
    // unit <= 2^40 and numerator < 10^12 < 2^40: the product fits in 128 bits, not 64.
    const auto part = static_cast<std::uint64_t>(static_cast<unsigned __int128>(numerator) * unit / denominator);
    if (value > kMaxByteSize - part) return too_large;
    return value + part;
}

Result<FreeSpaceFloor> parse_free_space_floor(std::string_view raw) {
    const std::string_view text = trimmed(raw);
    if (!text.empty() && text.back() == '%') {
        const std::string number(trimmed(text.substr(0, text.size() - 1)));
        const bool digits = !number.empty() && number.find_first_not_of("0123456789.") == std::string::npos &&
                            number.front() != '.' && number.back() != '.' &&
                            number.find('.') == number.rfind('.');
        if (!digits) return Error{"expected a percentage from 0 to 99 such as 5%, got '" + std::string(raw) + "'"};
        const double percent = std::stod(number);
        if (percent >= 100) return Error{"a percentage of free space must be below 100%, got '" + std::string(raw) + "'"};
        return FreeSpaceFloor{0, percent, true};
    }
    auto bytes = parse_byte_size(raw);
    if (!bytes) return Error{bytes.error().message + " or a percentage such as 5%"};
    return FreeSpaceFloor{*bytes, 0, false};
}

}  // namespace cache_tier::app
