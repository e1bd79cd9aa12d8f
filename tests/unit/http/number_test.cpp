// The one decimal formatter of the wire and the log.
#include "http/number.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>

namespace cache_tier::http {
namespace {

TEST(AppendDecimal, AppendsDigitsToWhatIsThere) {
    std::string out = "Content-Length: ";
    append_decimal(out, 0);
    EXPECT_EQ(out, "Content-Length: 0");
    append_decimal(out, 4096);
    EXPECT_EQ(out, "Content-Length: 04096");
}

TEST(AppendDecimal, LargestValueFits) {
    std::string out;
    append_decimal(out, std::numeric_limits<std::uint64_t>::max());
    EXPECT_EQ(out, "18446744073709551615");
    EXPECT_EQ(out.size(), kMaxDecimalDigits);
}

TEST(WriteDecimal, ReturnsTheEndOfTheDigits) {
    char buf[kMaxDecimalDigits];
    char* end = write_decimal(buf, 1234567);
    EXPECT_EQ(std::string(buf, end), "1234567");
}

}  // namespace
}  // namespace cache_tier::http
