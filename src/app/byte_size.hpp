#pragma once
// Sizes in the configuration and on the command line: a whole number of
// bytes, or a number with a binary suffix, as nginx reads them.
#include <cstdint>
#include <string_view>

#include "common/result.hpp"

namespace cache_tier::app {

// The largest size accepted: what an off_t can hold.
inline constexpr std::uint64_t kMaxByteSize = 9223372036854775807ULL;

// "1048576", "512K", "10M", "1.5G", "2T": K, M, G and T (either case) are
// powers of 1024 (K = 1024, M = 1024^2, ...). A fraction needs a suffix and is
// rounded down to whole bytes ("1.5K" is 1536, "0.1K" is 102). Spaces around
// the text are allowed, none inside it. The error says what is wrong in one
// line, without saying where (the caller knows): "10X", "-1", "", "1.5" and
// anything over kMaxByteSize are refused.
Result<std::uint64_t> parse_byte_size(std::string_view text);

// `min_free`: a size as above, or a percentage of the file system's size
// ("5%", "2.5%", from 0 to 99).
struct FreeSpaceFloor {
    std::uint64_t bytes = 0;
    double percent = 0;  // used when is_percent
    bool is_percent = false;
};
Result<FreeSpaceFloor> parse_free_space_floor(std::string_view text);

}  // namespace cache_tier::app
