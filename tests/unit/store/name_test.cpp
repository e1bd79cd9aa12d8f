// Names from URLs are untrusted: each rule of normalize_name, and encode_path.
#include "store/name.hpp"

#include <gtest/gtest.h>

#include <ostream>
#include <string>

namespace cache_tier::store {
namespace {

struct AcceptCase {
    std::string name;
    std::string raw;
    std::string origin;
    std::string local;
};

void PrintTo(const AcceptCase& c, std::ostream* os) { *os << '"' << c.raw << '"'; }

class AcceptedNameTest : public ::testing::TestWithParam<AcceptCase> {};

TEST_P(AcceptedNameTest, Normalises) {
    const AcceptCase& c = GetParam();
    Name out;
    ASSERT_EQ(normalize_name(c.raw, out), NameError::none) << describe(normalize_name(c.raw, out));
    EXPECT_EQ(out.origin, c.origin);
    EXPECT_EQ(out.local, c.local);
}

const std::string kSegment255(255, 'a');
const std::string kName1024 =
    kSegment255 + "/" + kSegment255 + "/" + kSegment255 + "/" + std::string(254, 'b') + "/c";

INSTANTIATE_TEST_SUITE_P(
    Valid, AcceptedNameTest,
    ::testing::Values(
        AcceptCase{"Plain", "ep1.mp3", "ep1.mp3", "ep1.mp3"},
        AcceptCase{"CaseKeptForOriginOnly", "Show/Ep1.MP3", "Show/Ep1.MP3", "show/ep1.mp3"},
        AcceptCase{"PercentSpace", "Show/Ep%201.mp3", "Show/Ep 1.mp3", "show/ep 1.mp3"},
        AcceptCase{"LowerCaseHex", "a%2fb", "a/b", "a/b"},
        AcceptCase{"EncodedSlashSplitsSegments", "a%2Fb", "a/b", "a/b"},
        AcceptCase{"PlusIsLiteral", "a+b.mp3", "a+b.mp3", "a+b.mp3"},
        AcceptCase{"EncodedPercentStaysLiteral", "100%25.mp3", "100%.mp3", "100%.mp3"},
        // Double encoding decodes once to a literal "%2e%2e" segment: a harmless
        // (and almost surely missing, so 404) name, never "..".
        AcceptCase{"DoubleEncodedDotsAreLiteral", "%252e%252e/etc", "%2e%2e/etc", "%2e%2e/etc"},
        AcceptCase{"DoubleEncodedSlashIsLiteral", "a%252Fb", "a%2Fb", "a%2fb"},
        AcceptCase{"DotsInsideSegments", "a.b/..c/d../...", "a.b/..c/d../...", "a.b/..c/d../..."},
        AcceptCase{"HiddenFile", ".hidden", ".hidden", ".hidden"},
        AcceptCase{"StateDirLookalike", ".cache-tierx/a", ".cache-tierx/a", ".cache-tierx/a"},
        AcceptCase{"StateDirNameDeeper", "a/.cache-tier/b", "a/.cache-tier/b", "a/.cache-tier/b"},
        AcceptCase{"Utf8KeptAndNotFolded", "%C3%89t%C3%A9.mp3", "\xc3\x89t\xc3\xa9.mp3", "\xc3\x89t\xc3\xa9.mp3"},
        // The edges of well-formed UTF-8: U+0080, U+07FF, U+0800, U+D7FF, U+E000, U+FFFF, U+10000, U+10FFFF.
        AcceptCase{"Utf8Edges", "%C2%80%DF%BF%E0%A0%80%ED%9F%BF%EE%80%80%EF%BF%BF%F0%90%80%80%F4%8F%BF%BF",
                   "\xc2\x80\xdf\xbf\xe0\xa0\x80\xed\x9f\xbf\xee\x80\x80\xef\xbf\xbf\xf0\x90\x80\x80\xf4\x8f\xbf\xbf",
                   "\xc2\x80\xdf\xbf\xe0\xa0\x80\xed\x9f\xbf\xee\x80\x80\xef\xbf\xbf\xf0\x90\x80\x80\xf4\x8f\xbf\xbf"},
        AcceptCase{"RawUtf8", "\xc3\xa9.mp3", "\xc3\xa9.mp3", "\xc3\xa9.mp3"},
        AcceptCase{"SpaceAndSymbols", "a b!$'()*,;=:@", "a b!$'()*,;=:@", "a b!$'()*,;=:@"},
        AcceptCase{"Segment255", kSegment255, kSegment255, kSegment255},
        AcceptCase{"Name1024", kName1024, kName1024, kName1024}),
    [](const auto& info) { return info.param.name; });

struct RejectCase {
    std::string name;
    std::string raw;
    NameError expected;
};

void PrintTo(const RejectCase& c, std::ostream* os) { *os << '"' << c.raw << '"'; }

class RejectedNameTest : public ::testing::TestWithParam<RejectCase> {};

TEST_P(RejectedNameTest, Refuses) {
    const RejectCase& c = GetParam();
    Name out;
    out.local = "stale";
    out.origin = "stale";
    EXPECT_EQ(normalize_name(c.raw, out), c.expected) << describe(normalize_name(c.raw, out));
    EXPECT_TRUE(out.local.empty());
    EXPECT_TRUE(out.origin.empty());
}

std::string reject_name(const ::testing::TestParamInfo<RejectCase>& info) { return info.param.name; }

INSTANTIATE_TEST_SUITE_P(Empty, RejectedNameTest,
                         ::testing::Values(RejectCase{"Nothing", "", NameError::empty},
                                           RejectCase{"OneSlash", "/", NameError::empty},
                                           RejectCase{"Slashes", "///", NameError::empty},
                                           RejectCase{"EncodedSlashes", "%2F%2f", NameError::empty}),
                         reject_name);

INSTANTIATE_TEST_SUITE_P(BadEncoding, RejectedNameTest,
                         ::testing::Values(RejectCase{"LonePercent", "a%", NameError::bad_encoding},
                                           RejectCase{"OneHexDigit", "a%2", NameError::bad_encoding},
                                           RejectCase{"NonHex", "a%zz", NameError::bad_encoding},
                                           RejectCase{"HalfHex", "a%2g.mp3", NameError::bad_encoding},
                                           RejectCase{"PercentOnly", "%", NameError::bad_encoding},
                                           RejectCase{"SignedHex", "%+1", NameError::bad_encoding}),
                         reject_name);

// RFC 3629 §10: overlong forms are how "%C0%AE%C0%AE" became ".." in decoders
// that accepted them; none of these is text.
INSTANTIATE_TEST_SUITE_P(
    BadUtf8, RejectedNameTest,
    ::testing::Values(RejectCase{"OverlongDot", "%C0%AE%C0%AE/etc", NameError::bad_utf8},
                      RejectCase{"OverlongSlash", "a%C0%AFb", NameError::bad_utf8},
                      RejectCase{"OverlongThreeBytes", "%E0%80%AE", NameError::bad_utf8},
                      RejectCase{"OverlongFourBytes", "%F0%80%80%AE", NameError::bad_utf8},
                      RejectCase{"C1Lead", "%C1%BF", NameError::bad_utf8},
                      RejectCase{"Surrogate", "%ED%A0%80", NameError::bad_utf8},
                      RejectCase{"PastU10FFFF", "%F4%90%80%80", NameError::bad_utf8},
                      RejectCase{"F5Lead", "%F5%80%80%80", NameError::bad_utf8},
                      RejectCase{"LoneContinuation", "a%80b", NameError::bad_utf8},
                      RejectCase{"Latin1Byte", "caf%E9.mp3", NameError::bad_utf8},
                      RejectCase{"Truncated", "a%E2%82", NameError::bad_utf8},
                      RejectCase{"TruncatedAtEnd", "%F0%9F%98", NameError::bad_utf8},
                      RejectCase{"BadSecondByte", "%E2%28%A1", NameError::bad_utf8},
                      RejectCase{"RawOverlong", "\xc0\xae\xc0\xae", NameError::bad_utf8}),
    reject_name);

INSTANTIATE_TEST_SUITE_P(
    ControlCharacters, RejectedNameTest,
    ::testing::Values(RejectCase{"EncodedNul", "a%00.mp3", NameError::control_character},
                      RejectCase{"RawNul", std::string("a\0b", 3), NameError::control_character},
                      RejectCase{"EncodedNewline", "a%0Ab", NameError::control_character},
                      RejectCase{"EncodedCarriageReturn", "a%0db", NameError::control_character},
                      RejectCase{"RawTab", "a\tb", NameError::control_character},
                      RejectCase{"EncodedUnitSeparator", "a%1Fb", NameError::control_character},
                      RejectCase{"EncodedDelete", "a%7Fb", NameError::control_character}),
    reject_name);

INSTANTIATE_TEST_SUITE_P(Backslash, RejectedNameTest,
                         ::testing::Values(RejectCase{"Raw", "a\\b", NameError::backslash},
                                           RejectCase{"Encoded", "a%5Cb", NameError::backslash},
                                           RejectCase{"EncodedLower", "..%5c..%5cetc", NameError::backslash}),
                         reject_name);

INSTANTIATE_TEST_SUITE_P(
    Traversal, RejectedNameTest,
    ::testing::Values(RejectCase{"DotDot", "..", NameError::traversal},
                      RejectCase{"Dot", ".", NameError::traversal},
                      RejectCase{"DotDotFirst", "../etc/passwd", NameError::traversal},
                      RejectCase{"DotDotMiddle", "a/../../etc/passwd", NameError::traversal},
                      RejectCase{"DotDotLast", "a/..", NameError::traversal},
                      RejectCase{"DotSegment", "a/./b", NameError::traversal},
                      RejectCase{"EncodedDotDot", "%2e%2e/etc/passwd", NameError::traversal},
                      RejectCase{"EncodedUpperDotDot", "%2E%2E", NameError::traversal},
                      RejectCase{"HalfEncodedDotDot", ".%2e/x", NameError::traversal},
                      RejectCase{"EncodedSlashAndDots", "a%2F..%2F..%2Fetc", NameError::traversal},
                      RejectCase{"LeadingSlash", "/etc/passwd", NameError::traversal},
                      RejectCase{"TrailingSlash", "a/", NameError::traversal},
                      RejectCase{"DoubleSlash", "a//b", NameError::traversal},
                      RejectCase{"EncodedDoubleSlash", "a%2F%2Fb", NameError::traversal}),
    reject_name);

INSTANTIATE_TEST_SUITE_P(Reserved, RejectedNameTest,
                         ::testing::Values(RejectCase{"StateDir", ".cache-tier", NameError::reserved},
                                           RejectCase{"TempFile", ".cache-tier/tmp/abc.part", NameError::reserved},
                                           RejectCase{"Meta", ".cache-tier/meta/x.json", NameError::reserved},
                                           RejectCase{"UpperCase", ".CACHE-TIER/tmp/x", NameError::reserved},
                                           RejectCase{"MixedCase", ".Cache-Tier/meta", NameError::reserved},
                                           RejectCase{"Encoded", "%2ecache-tier/tmp/x", NameError::reserved}),
                         reject_name);

INSTANTIATE_TEST_SUITE_P(
    TooLong, RejectedNameTest,
    ::testing::Values(RejectCase{"Segment256", std::string(256, 'a'), NameError::too_long},
                      RejectCase{"DeepSegment256", "a/" + std::string(256, 'a') + "/b", NameError::too_long},
                      RejectCase{"Name1025", kName1024 + "c", NameError::too_long},
                      RejectCase{"EncodedOver1024", [] {
                                     std::string s;
                                     for (int i = 0; i < 1025; ++i) s += (i % 200 == 199) ? "/" : "%41";
                                     return s;
                                 }(),
                                 NameError::too_long},
                      RejectCase{"HugeRaw", std::string(1 << 20, 'a'), NameError::too_long}),
    reject_name);

TEST(NameTooLong, BoundaryFixturesHaveTheirSizes) {
    EXPECT_EQ(kSegment255.size(), 255u);
    EXPECT_EQ(kName1024.size(), 1024u);
}

TEST(NameTooLong, EncodedUpTo1024DecodedIsFine) {
    // 1024 decoded bytes written as 3072 raw bytes is still a valid name.
    std::string raw;
    std::string decoded;
    for (int i = 0; i < 1024; ++i) {
        const bool slash = i % 200 == 199;
        raw += slash ? "/" : "%41";
        decoded += slash ? '/' : 'A';
    }
    Name out;
    ASSERT_EQ(normalize_name(raw, out), NameError::none);
    EXPECT_EQ(out.origin, decoded);
    EXPECT_EQ(out.local.size(), 1024u);
}

TEST(NameDescribe, EveryErrorHasADistinctLine) {
    const NameError all[] = {NameError::none,      NameError::empty,     NameError::bad_encoding,
                             NameError::control_character, NameError::backslash, NameError::traversal,
                             NameError::reserved,  NameError::too_long,  NameError::bad_utf8};
    for (std::size_t i = 0; i < std::size(all); ++i) {
        EXPECT_FALSE(describe(all[i]).empty());
        for (std::size_t j = 0; j < i; ++j) EXPECT_NE(describe(all[i]), describe(all[j]));
    }
}

struct EncodeCase {
    std::string name;
    std::string decoded;
    std::string encoded;
};

void PrintTo(const EncodeCase& c, std::ostream* os) { *os << '"' << c.decoded << '"'; }

class EncodePathTest : public ::testing::TestWithParam<EncodeCase> {};

TEST_P(EncodePathTest, Encodes) { EXPECT_EQ(encode_path(GetParam().decoded), GetParam().encoded); }

// The encoding must come back unchanged through normalize_name (origin keeps case).
TEST_P(EncodePathTest, RoundTripsThroughNormalize) {
    Name out;
    if (normalize_name(GetParam().encoded, out) == NameError::none) {
        EXPECT_EQ(out.origin, GetParam().decoded);
    }
}

INSTANTIATE_TEST_SUITE_P(
    Names, EncodePathTest,
    ::testing::Values(EncodeCase{"Unreserved", "AZaz09-._~", "AZaz09-._~"},
                      EncodeCase{"SlashKept", "Show/Season 1/Ep 1.mp3", "Show/Season%201/Ep%201.mp3"},
                      EncodeCase{"Reserved", "a+b&c=d?e#f", "a%2Bb%26c%3Dd%3Fe%23f"},
                      EncodeCase{"Percent", "100%", "100%25"},
                      EncodeCase{"Utf8UpperHex", "\xc3\xa9t\xc3\xa9", "%C3%A9t%C3%A9"},
                      EncodeCase{"Symbols", "!$'()*,;:@", "%21%24%27%28%29%2A%2C%3B%3A%40"},
                      EncodeCase{"Empty", "", ""}),
    [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace cache_tier::store
