#pragma once
// Range requests, RFC 9110 §14.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "http/number.hpp"

namespace cache_tier::http {

struct ByteRange {
    std::uint64_t first = 0;  // inclusive
    std::uint64_t last = 0;   // inclusive
    std::uint64_t length() const { return last - first + 1; }
};

enum class RangeResult {
    ignore,         // no Range header, or one we do not honour (other unit, syntax error, several ranges): send 200 and the whole file
    satisfiable,    // send 206 with `out`
    unsatisfiable,  // send 416 with "Content-Range: bytes */size"
};

// Parse a Range header value against a representation of `size` bytes.
// Handles "bytes=a-b", "bytes=a-", "bytes=-n" (§14.1.2), clamps `last` to size-1.
// A syntactically invalid header is ignored (§14.2: "MAY ignore"). Several
// ranges are also answered with the whole file.
RangeResult parse_range(std::string_view header, std::uint64_t size, ByteRange& out);

// A Content-Range value (§14.4), formatted on the stack: "bytes 0-99/1000" for
// `range`, or "bytes */1000" when `range` is null (an unsatisfiable range).
class ContentRange {
public:
    ContentRange(const ByteRange* range, std::uint64_t complete_length);
    std::string_view value() const { return {text_, size_}; }

private:
    char text_[sizeof "bytes -/" + 3 * kMaxDecimalDigits];
    std::size_t size_ = 0;
};

}  // namespace cache_tier::http
