#include "http/range.hpp"
#include "http/ascii.hpp"
#include "http/ows.hpp"

#include <cstring>
#include <limits>
#include <optional>

namespace cache_tier::http {
namespace {

constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();

// 1*DIGIT. A number too big for 64 bits saturates: every position past the
// end of any real file behaves the same, so nothing is lost and nothing wraps.
std::optional<std::uint64_t> parse_position(std::string_view digits) {
    if (digits.empty()) return std::nullopt;
    std::uint64_t value = 0;
    for (char c : digits) {
        if (c < '0' || c > '9') return std::nullopt;
        const auto d = static_cast<std::uint64_t>(c - '0');
        value = value > (kMax - d) / 10 ? kMax : value * 10 + d;
    }
    return value;
}

// The single range-spec of the set, or empty when there is none or more than
// one. Empty list elements are allowed (RFC 9110 §5.6.1.2).
std::optional<std::string_view> single_range_spec(std::string_view range_set) {
    std::optional<std::string_view> found;
    while (true) {
        const auto comma = range_set.find(',');
        const std::string_view element = trim_ows(range_set.substr(0, comma));
        if (!element.empty()) {
            if (found) return std::nullopt;  // several ranges: answered with the whole file
            found = element;
        }
        if (comma == std::string_view::npos) return found;
        range_set.remove_prefix(comma + 1);
    }
}

}  // namespace

RangeResult parse_range(std::string_view header, std::uint64_t size, ByteRange& out) {
    header = trim_ows(header);
    // ranges-specifier = range-unit "=" range-set (§14.1.2); units compare case-insensitively (§14.1).
    const auto equals = header.find('=');
    if (equals == std::string_view::npos || !iequals_ascii(header.substr(0, equals), "bytes")) {
        return RangeResult::ignore;
    }
    const auto spec = single_range_spec(header.substr(equals + 1));
    if (!spec) return RangeResult::ignore;

    const auto dash = spec->find('-');
    if (dash == std::string_view::npos) return RangeResult::ignore;
    const std::string_view first_text = spec->substr(0, dash);
    const std::string_view last_text = spec->substr(dash + 1);

    if (first_text.empty()) {
        // suffix-range = "-" suffix-length: the last n bytes (§14.1.2).
        const auto suffix = parse_position(last_text);
        if (!suffix) return RangeResult::ignore;
        if (*suffix == 0) return RangeResult::unsatisfiable;
        // §14.1.1: on an empty representation a non-zero suffix is satisfiable,
        // but it selects nothing, which 206 cannot express; the whole (empty) file is the answer.
        if (size == 0) return RangeResult::ignore;
        out.first = *suffix >= size ? 0 : size - *suffix;
        out.last = size - 1;
        return RangeResult::satisfiable;
    }

    // int-range = first-pos "-" [ last-pos ]; last < first is invalid syntax (§14.1.1).
    const auto first = parse_position(first_text);
    if (!first) return RangeResult::ignore;
    std::uint64_t last = kMax;
    if (!last_text.empty()) {
        const auto parsed = parse_position(last_text);
        if (!parsed || *parsed < *first) return RangeResult::ignore;
        last = *parsed;
    }
    if (*first >= size) return RangeResult::unsatisfiable;
    out.first = *first;
    out.last = last >= size ? size - 1 : last;
    return RangeResult::satisfiable;
}

ContentRange::ContentRange(const ByteRange* range, std::uint64_t complete_length) {
    constexpr std::string_view kUnit = "bytes ";
    char* out = text_;
    std::memcpy(out, kUnit.data(), kUnit.size());
    out += kUnit.size();
    if (range) {
        out = write_decimal(out, range->first);
        *out++ = '-';
        out = write_decimal(out, range->last);
    } else {
        *out++ = '*';  // §14.4: unsatisfied-range
    }
    *out++ = '/';
    out = write_decimal(out, complete_length);
    size_ = static_cast<std::size_t>(out - text_);
}

}  // namespace cache_tier::http
