// Range header parsing, RFC 9110 §14, one table row per rule.
#include "http/range.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <limits>
#include <new>
#include <ostream>
#include <string>

#include "http/conditional.hpp"
#include "http/http_date.hpp"
#include "http/mime.hpp"
#include "http/number.hpp"
#include "http/response.hpp"
#include "http/status.hpp"

// Counts heap allocations on this thread, for the per-request no-allocation
// test at the end of this file. Replacing operator new is program-wide, so it
// lives in this one file of unit_http only.
namespace {
thread_local std::size_t g_allocations = 0;
}  // namespace

void* operator new(std::size_t size) {
    ++g_allocations;
    if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
    throw std::bad_alloc();
}
// GCC 12 takes free() in a replaced operator delete for a mismatch; it is the pair of the malloc above.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
#pragma GCC diagnostic pop

namespace cache_tier::http {
namespace {

struct RangeCase {
    std::string name;  // test name suffix
    std::string header;
    std::uint64_t size;
    RangeResult expected;
    std::uint64_t first = 0;  // checked when satisfiable
    std::uint64_t last = 0;
};

void PrintTo(const RangeCase& c, std::ostream* os) { *os << "Range: \"" << c.header << "\" size " << c.size; }

class RangeTest : public ::testing::TestWithParam<RangeCase> {};

TEST_P(RangeTest, ParsesAsExpected) {
    const RangeCase& c = GetParam();
    ByteRange out;
    out.first = 12345;  // sentinel: must be overwritten only when satisfiable
    out.last = 67890;
    const RangeResult result = parse_range(c.header, c.size, out);
    ASSERT_EQ(static_cast<int>(result), static_cast<int>(c.expected));
    if (c.expected == RangeResult::satisfiable) {
        EXPECT_EQ(out.first, c.first);
        EXPECT_EQ(out.last, c.last);
        EXPECT_EQ(out.length(), c.last - c.first + 1);
        EXPECT_LT(out.last, c.size);
    } else {
        EXPECT_EQ(out.first, 12345u);
        EXPECT_EQ(out.last, 67890u);
    }
}

constexpr auto kOk = RangeResult::satisfiable;
constexpr auto kIgnore = RangeResult::ignore;
constexpr auto k416 = RangeResult::unsatisfiable;
const std::string kHuge = "99999999999999999999999999999999";  // far beyond 2^64

// §14.1.2 int-range, suffix-range and open-ended forms.
INSTANTIATE_TEST_SUITE_P(Forms, RangeTest,
                         ::testing::Values(RangeCase{"FirstLast", "bytes=0-499", 1000, kOk, 0, 499},
                                           RangeCase{"Middle", "bytes=500-999", 1000, kOk, 500, 999},
                                           RangeCase{"SingleByte", "bytes=0-0", 1000, kOk, 0, 0},
                                           RangeCase{"LastByte", "bytes=999-999", 1000, kOk, 999, 999},
                                           RangeCase{"OpenEnded", "bytes=9500-", 10000, kOk, 9500, 9999},
                                           RangeCase{"OpenEndedFromZero", "bytes=0-", 10, kOk, 0, 9},
                                           RangeCase{"Suffix", "bytes=-500", 10000, kOk, 9500, 9999},
                                           RangeCase{"SuffixOne", "bytes=-1", 10, kOk, 9, 9},
                                           RangeCase{"LeadingZeros", "bytes=007-0009", 100, kOk, 7, 9}),
                         [](const auto& info) { return info.param.name; });

// §14.1.1: a last-pos past the end is clamped, a suffix longer than the file selects all of it.
INSTANTIATE_TEST_SUITE_P(Clamping, RangeTest,
                         ::testing::Values(RangeCase{"LastPastEnd", "bytes=5-5000", 10, kOk, 5, 9},
                                           RangeCase{"LastEqualsSize", "bytes=0-10", 10, kOk, 0, 9},
                                           RangeCase{"SuffixLongerThanFile", "bytes=-5000", 10, kOk, 0, 9},
                                           RangeCase{"SuffixEqualsSize", "bytes=-10", 10, kOk, 0, 9},
                                           RangeCase{"HugeLast", "bytes=3-" + kHuge, 10, kOk, 3, 9},
                                           RangeCase{"HugeSuffix", "bytes=-" + kHuge, 10, kOk, 0, 9},
                                           RangeCase{"MaxUint64Last", "bytes=1-18446744073709551615", 10, kOk, 1,
                                                     9}),
                         [](const auto& info) { return info.param.name; });

// §14.1.1: first-pos at or past the end, or a zero suffix, cannot be satisfied (416).
INSTANTIATE_TEST_SUITE_P(Unsatisfiable, RangeTest,
                         ::testing::Values(RangeCase{"FirstEqualsSize", "bytes=10-", 10, k416},
                                           RangeCase{"FirstPastSize", "bytes=11-20", 10, k416},
                                           RangeCase{"ZeroSuffix", "bytes=-0", 10, k416},
                                           RangeCase{"HugeFirst", "bytes=" + kHuge + "-", 10, k416},
                                           RangeCase{"HugeFirstAndLast", "bytes=" + kHuge + "-" + kHuge, 10, k416},
                                           RangeCase{"EmptyFileFromZero", "bytes=0-", 0, k416},
                                           RangeCase{"EmptyFileFirstLast", "bytes=0-0", 0, k416},
                                           RangeCase{"EmptyFileZeroSuffix", "bytes=-0", 0, k416}),
                         [](const auto& info) { return info.param.name; });

// §14.2: what we do not honour is ignored and the whole file is sent with 200.
INSTANTIATE_TEST_SUITE_P(
    Ignored, RangeTest,
    ::testing::Values(RangeCase{"Empty", "", 10, kIgnore}, RangeCase{"OnlyUnit", "bytes", 10, kIgnore},
                      RangeCase{"NoRangeSet", "bytes=", 10, kIgnore},
                      RangeCase{"OnlyCommas", "bytes=,,", 10, kIgnore},
                      RangeCase{"OtherUnit", "items=0-5", 10, kIgnore},
                      RangeCase{"UnitPrefix", "bytesx=0-5", 10, kIgnore},
                      RangeCase{"NoDash", "bytes=5", 10, kIgnore},
                      RangeCase{"OnlyDash", "bytes=-", 10, kIgnore},
                      RangeCase{"LastBeforeFirst", "bytes=5-3", 10, kIgnore},
                      RangeCase{"Letters", "bytes=a-b", 10, kIgnore},
                      RangeCase{"Negative", "bytes=-5-10", 10, kIgnore},
                      RangeCase{"Plus", "bytes=+5-10", 10, kIgnore},
                      RangeCase{"Hex", "bytes=0x10-0x20", 10, kIgnore},
                      RangeCase{"TwoDashes", "bytes=1--5", 10, kIgnore},
                      RangeCase{"SpaceInsideSpec", "bytes=0 - 5", 10, kIgnore},
                      RangeCase{"SpaceBeforeEquals", "bytes =0-5", 10, kIgnore},
                      RangeCase{"SeveralRanges", "bytes=0-1,5-6", 10, kIgnore},
                      RangeCase{"SeveralRangesOneBad", "bytes=0-1,50-60", 10, kIgnore},
                      RangeCase{"SeveralSuffixes", "bytes=-1, -2", 10, kIgnore},
                      RangeCase{"EmptyFileSuffix", "bytes=-5", 0, kIgnore},
                      RangeCase{"SyntaxErrorOnEmptyFile", "bytes=x", 0, kIgnore}),
    [](const auto& info) { return info.param.name; });

// Units compare case-insensitively (§14.1); OWS is allowed around the field
// value and around list commas (§5.6.1), nowhere else.
INSTANTIATE_TEST_SUITE_P(Tolerance, RangeTest,
                         ::testing::Values(RangeCase{"UpperCaseUnit", "BYTES=0-4", 10, kOk, 0, 4},
                                           RangeCase{"MixedCaseUnit", "Bytes=2-", 10, kOk, 2, 9},
                                           RangeCase{"SurroundingOws", " \tbytes=0-4 \t", 10, kOk, 0, 4},
                                           RangeCase{"OwsAfterEquals", "bytes= 0-4", 10, kOk, 0, 4},
                                           RangeCase{"EmptyListElements", "bytes=, 1-2 ,", 10, kOk, 1, 2}),
                         [](const auto& info) { return info.param.name; });

TEST(RangeLength, IsInclusive) {
    ByteRange r{10, 19};
    EXPECT_EQ(r.length(), 10u);
}

TEST(RangeLargeFile, OffsetsBeyond32Bits) {
    const std::uint64_t size = 10ULL << 30;  // 10 GiB
    ByteRange out;
    ASSERT_EQ(static_cast<int>(parse_range("bytes=8589934592-", size, out)), static_cast<int>(kOk));
    EXPECT_EQ(out.first, 8589934592ULL);
    EXPECT_EQ(out.last, size - 1);
}

// parse_range, evaluate_preconditions, if_range_matches, parse_http_date and
// content_type_for run on every request: none of them may touch the heap.
TEST(PerRequestPaths, DoNotAllocate) {
    const std::string etag = "\"5f2a-1000\"";
    const std::string date = "Sun, 06 Nov 1994 08:49:37 GMT";
    const std::string list = "\"a\", W/\"b\", " + etag;
    Request req;
    req.method = Method::get;
    req.if_match = list;
    req.if_none_match = list;
    req.if_modified_since = date;
    req.if_unmodified_since = date;
    ByteRange out;

    const std::size_t before = g_allocations;
    const auto range = parse_range("bytes=100-", 1000, out);
    const auto suffix = parse_range("bytes=-99999999999999999999999", 1000, out);
    const auto precondition = evaluate_preconditions(req, etag, 784111777);
    const bool by_etag = if_range_matches(etag, etag, 784111777);
    const bool by_date = if_range_matches(date, etag, 784111777);
    const auto parsed = parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT");
    const auto type = content_type_for("Show/Season 1/EP1.MP3");
    const std::size_t allocations = g_allocations - before;

    EXPECT_EQ(allocations, 0u);
    // The calls did real work (and were not optimised away).
    EXPECT_EQ(static_cast<int>(range), static_cast<int>(kOk));
    EXPECT_EQ(static_cast<int>(suffix), static_cast<int>(kOk));
    EXPECT_EQ(static_cast<int>(precondition), static_cast<int>(Precondition::not_modified));
    EXPECT_TRUE(by_etag);
    EXPECT_TRUE(by_date);
    EXPECT_EQ(parsed, 784111777);
    EXPECT_EQ(type, "audio/mpeg");
}

// A response is described into buffers that keep their capacity between
// requests: once warm, the status line, the numbers and the headers of a 206
// take no allocation.
TEST(PerRequestPaths, ResponseBuildingDoesNotAllocateOnceWarm) {
    Response out;
    std::string head;
    const ByteRange range{100, 199};
    auto describe = [&] {
        out.reset();
        head.clear();
        out.add_header("Content-Type", "audio/mpeg");
        out.add_header("Accept-Ranges", "bytes");
        out.add_header("Content-Range", ContentRange(&range, 1000).value());
        append_status_line(head, 206);
        head += "Content-Length: ";
        append_decimal(head, out.content_length());
        head += "\r\n";
        head += out.headers();
    };
    describe();  // warms the buffers

    const std::size_t before = g_allocations;
    describe();
    const std::size_t allocations = g_allocations - before;

    EXPECT_EQ(allocations, 0u);
    EXPECT_EQ(head, "HTTP/1.1 206 Partial Content\r\nContent-Length: 0\r\nContent-Type: audio/mpeg\r\nAccept-Ranges: bytes\r\n"
                    "Content-Range: bytes 100-199/1000\r\n");
}

TEST(ContentRangeValue, SatisfiedAndUnsatisfied) {
    const ByteRange range{0, 99};
    EXPECT_EQ(ContentRange(&range, 1000).value(), "bytes 0-99/1000");
    EXPECT_EQ(ContentRange(nullptr, 1000).value(), "bytes */1000");  // §14.4
    const std::uint64_t max = std::numeric_limits<std::uint64_t>::max();
    const ByteRange widest{max - 1, max - 1};
    EXPECT_EQ(ContentRange(&widest, max).value(),
              "bytes 18446744073709551614-18446744073709551614/18446744073709551615");
}

TEST(PerRequestPaths, AllocationCounterWorks) {
    // Guards the test above against a counter that never counts.
    const std::size_t before = g_allocations;
    auto* p = new std::string(100, 'x');
    delete p;
    EXPECT_GE(g_allocations - before, 1u);
}

}  // namespace
}  // namespace cache_tier::http
