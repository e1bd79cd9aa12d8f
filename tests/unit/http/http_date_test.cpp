// HTTP dates, RFC 9110 §5.6.7.
#include "http/http_date.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <ctime>
#include <optional>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

namespace cache_tier::http {
namespace {

constexpr std::int64_t kRfcExample = 784111777;  // Sun, 06 Nov 1994 08:49:37 GMT

struct FormatCase {
    std::string name;
    std::int64_t seconds;
    std::string text;
};

void PrintTo(const FormatCase& c, std::ostream* os) { *os << c.seconds << " -> " << c.text; }

class FormatTest : public ::testing::TestWithParam<FormatCase> {};

TEST_P(FormatTest, FormatsImfFixdateAndParsesItBack) {
    const FormatCase& c = GetParam();
    const std::string text = format_http_date(c.seconds);
    EXPECT_EQ(text, c.text);
    EXPECT_EQ(text.size(), 29u);
    EXPECT_EQ(parse_http_date(text), c.seconds);
}

INSTANTIATE_TEST_SUITE_P(
    Dates, FormatTest,
    ::testing::Values(FormatCase{"Epoch", 0, "Thu, 01 Jan 1970 00:00:00 GMT"},
                      FormatCase{"RfcExample", kRfcExample, "Sun, 06 Nov 1994 08:49:37 GMT"},
                      FormatCase{"LeapDay2000", 951782400, "Tue, 29 Feb 2000 00:00:00 GMT"},
                      FormatCase{"EndOf1999", 946684799, "Fri, 31 Dec 1999 23:59:59 GMT"},
                      FormatCase{"Int32Rollover", 2147483648, "Tue, 19 Jan 2038 03:14:08 GMT"},
                      FormatCase{"LeapDay2024", 1709164800, "Thu, 29 Feb 2024 00:00:00 GMT"},
                      FormatCase{"BeforeEpoch", -1, "Wed, 31 Dec 1969 23:59:59 GMT"},
                      FormatCase{"Year1900", -2208988800, "Mon, 01 Jan 1900 00:00:00 GMT"},
                      FormatCase{"LastFourDigitYear", 253402300799, "Fri, 31 Dec 9999 23:59:59 GMT"}),
    [](const auto& info) { return info.param.name; });

TEST(FormatClamp, OutOfRangeStaysTwentyNineCharacters) {
    EXPECT_EQ(format_http_date(INT64_MAX), "Fri, 31 Dec 9999 23:59:59 GMT");
    EXPECT_EQ(format_http_date(INT64_MIN), "Sat, 01 Jan 0000 00:00:00 GMT");
}

// Agrees with the C library over a spread of instants, including before 1970.
TEST(FormatAgreesWithGmtime, Sweep) {
    for (std::int64_t t = -2'000'000'000; t < 4'000'000'000; t += 7'777'777) {
        const std::time_t tt = static_cast<std::time_t>(t);
        std::tm tm{};
        ASSERT_NE(gmtime_r(&tt, &tm), nullptr);
        char expected[64];
        // The "C" locale names are what IMF-fixdate uses.
        std::strftime(expected, sizeof expected, "%a, %d %b %Y %H:%M:%S GMT", &tm);
        ASSERT_EQ(format_http_date(t), expected) << t;
        ASSERT_EQ(parse_http_date(expected), t) << expected;
    }
}

TEST(FormatThreads, ConcurrentCallsAgree) {
    std::vector<std::thread> threads;
    std::vector<int> failures(4, 0);
    for (int i = 0; i < 4; ++i) {
        threads.emplace_back([&failures, i] {
            for (int n = 0; n < 2000; ++n) {
                if (format_http_date(kRfcExample) != "Sun, 06 Nov 1994 08:49:37 GMT") ++failures[i];
            }
        });
    }
    for (auto& t : threads) t.join();
    for (int f : failures) EXPECT_EQ(f, 0);
}

struct ParseCase {
    std::string name;
    std::string text;
    std::optional<std::int64_t> expected;
};

void PrintTo(const ParseCase& c, std::ostream* os) { *os << '"' << c.text << '"'; }

class ParseTest : public ::testing::TestWithParam<ParseCase> {};

TEST_P(ParseTest, ParsesAsExpected) { EXPECT_EQ(parse_http_date(GetParam().text), GetParam().expected); }

// The three forms of §5.6.7 all mean the same instant.
INSTANTIATE_TEST_SUITE_P(
    Forms, ParseTest,
    ::testing::Values(ParseCase{"ImfFixdate", "Sun, 06 Nov 1994 08:49:37 GMT", kRfcExample},
                      ParseCase{"Rfc850", "Sunday, 06-Nov-94 08:49:37 GMT", kRfcExample},
                      ParseCase{"Asctime", "Sun Nov  6 08:49:37 1994", kRfcExample},
                      ParseCase{"AsctimeTwoDigitDay", "Sun Nov 16 08:49:37 1994", kRfcExample + 10 * 86400},
                      ParseCase{"SurroundingOws", " \tSun, 06 Nov 1994 08:49:37 GMT \t", kRfcExample},
                      ParseCase{"LeapSecondRollsOver", "Sun, 06 Nov 1994 08:49:60 GMT", kRfcExample + 23},
                      ParseCase{"LeapDay", "Tue, 29 Feb 2000 00:00:00 GMT", 951782400},
                      // The day-name carries no information; a wrong one is not checked.
                      ParseCase{"WrongWeekdayAccepted", "Mon, 06 Nov 1994 08:49:37 GMT", kRfcExample}),
    [](const auto& info) { return info.param.name; });

// Two-digit years more than 50 years ahead are in the past century (§5.6.7).
TEST(ParseRfc850Year, InterpretsTwoDigitYearsAroundNow) {
    std::time_t now = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&now, &tm);
    const int year = tm.tm_year + 1900;
    const int yy = year % 100;
    char text[64];
    // This year's two digits: this year.
    std::snprintf(text, sizeof text, "Friday, 01-Jan-%02d 00:00:00 GMT", yy);
    const auto this_year = parse_http_date(text);
    ASSERT_TRUE(this_year.has_value());
    EXPECT_EQ(format_http_date(*this_year).substr(12, 4), std::to_string(year));
    // Ten years ahead stays in the future; sixty years ahead goes back a century.
    std::snprintf(text, sizeof text, "Friday, 01-Jan-%02d 00:00:00 GMT", (yy + 10) % 100);
    EXPECT_EQ(format_http_date(*parse_http_date(text)).substr(12, 4), std::to_string(year + 10));
    std::snprintf(text, sizeof text, "Friday, 01-Jan-%02d 00:00:00 GMT", (yy + 60) % 100);
    EXPECT_EQ(format_http_date(*parse_http_date(text)).substr(12, 4), std::to_string(year + 60 - 100));
}

INSTANTIATE_TEST_SUITE_P(
    Garbage, ParseTest,
    ::testing::Values(ParseCase{"Empty", "", std::nullopt}, ParseCase{"Spaces", "   ", std::nullopt},
                      ParseCase{"Word", "yesterday", std::nullopt},
                      ParseCase{"Number", "784111777", std::nullopt},
                      ParseCase{"Iso8601", "1994-11-06T08:49:37Z", std::nullopt},
                      ParseCase{"NotGmt", "Sun, 06 Nov 1994 08:49:37 UTC", std::nullopt},
                      ParseCase{"NoZone", "Sun, 06 Nov 1994 08:49:37", std::nullopt},
                      ParseCase{"TrailingGarbage", "Sun, 06 Nov 1994 08:49:37 GMTX", std::nullopt},
                      ParseCase{"LowerCaseMonth", "Sun, 06 nov 1994 08:49:37 GMT", std::nullopt},
                      ParseCase{"BadDayName", "Sux, 06 Nov 1994 08:49:37 GMT", std::nullopt},
                      ParseCase{"OneDigitDay", "Sun, 6 Nov 1994 08:49:37 GMT", std::nullopt},
                      ParseCase{"TwoDigitYearInFixdate", "Sun, 06 Nov 94 08:49:37 GMT", std::nullopt},
                      ParseCase{"Feb30", "Wed, 30 Feb 2000 00:00:00 GMT", std::nullopt},
                      ParseCase{"Feb29NonLeap", "Thu, 29 Feb 1900 00:00:00 GMT", std::nullopt},
                      ParseCase{"Day0", "Sun, 00 Nov 1994 08:49:37 GMT", std::nullopt},
                      ParseCase{"Day32", "Sun, 32 Dec 1994 08:49:37 GMT", std::nullopt},
                      ParseCase{"Hour24", "Sun, 06 Nov 1994 24:00:00 GMT", std::nullopt},
                      ParseCase{"Minute60", "Sun, 06 Nov 1994 08:60:00 GMT", std::nullopt},
                      ParseCase{"Second61", "Sun, 06 Nov 1994 08:49:61 GMT", std::nullopt},
                      ParseCase{"SignInYear", "Sun, 06 Nov -994 08:49:37 GMT", std::nullopt},
                      ParseCase{"Truncated", "Sun, 06 Nov 1994 08:4", std::nullopt},
                      ParseCase{"Rfc850ShortDayName", "Sun, 06-Nov-94 08:49:37 GMT", std::nullopt},
                      ParseCase{"AsctimeWithGmt", "Sun Nov  6 08:49:37 1994 GMT", std::nullopt},
                      ParseCase{"EmbeddedNul", std::string("Sun, 06 Nov 1994 08:49:37 GMT\0", 30),
                                std::nullopt}),
    [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace cache_tier::http
