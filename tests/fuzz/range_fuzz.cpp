// Range header values (RFC 9110 §14.2) against representations of any size,
// through http::parse_range, and the Content-Range the answer carries.
//
// Properties: a satisfiable range lies within the file (first <= last < size)
// and Content-Range says exactly it; an empty file never gets a 206.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz_support.hpp"
#include "http/range.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace cache_tier;
    FuzzedDataProvider input(data, size);
    // Small sizes often (edges near 0), any 64-bit size sometimes.
    const std::uint64_t file_size = input.ConsumeBool() ? input.ConsumeIntegralInRange<std::uint64_t>(0, 4096)
                                                        : input.ConsumeIntegral<std::uint64_t>();
    const std::string header = input.ConsumeRemainingBytesAsString();

    http::ByteRange range;
    const http::RangeResult result = http::parse_range(header, file_size, range);
    if (result == http::RangeResult::satisfiable) {
        FUZZ_CHECK(file_size > 0);
        FUZZ_CHECK(range.first <= range.last);
        FUZZ_CHECK(range.last < file_size);
        FUZZ_CHECK(range.length() <= file_size);
        const std::string expected = "bytes " + std::to_string(range.first) + "-" + std::to_string(range.last) +
                                     "/" + std::to_string(file_size);
        FUZZ_CHECK(http::ContentRange(&range, file_size).value() == expected);
    } else if (result == http::RangeResult::unsatisfiable) {
        FUZZ_CHECK(http::ContentRange(nullptr, file_size).value() == "bytes */" + std::to_string(file_size));
    }
    return 0;
}
