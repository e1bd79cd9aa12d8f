// The static route as a plain function of the request, over a real cache
// directory: validators, conditionals (RFC 9110 §13), ranges (§14) and names,
// each rule a row of a table. No socket: the body is only described.
#include <gtest/gtest.h>

#include <filesystem>
#include <optional>
#include <ostream>
#include <string>

#include "http/conditional.hpp"
#include "http/http_date.hpp"
#include "route_test_support.hpp"
#include "routes/routes.hpp"
#include "store/file_cache.hpp"
#include "support/process.hpp"
#include "support/serve_helpers.hpp"

namespace cache_tier::routes {
namespace {

using test::has_header;
using test::header;

constexpr std::int64_t kMtime = 1'700'000'000;
const std::string kContent = "0123456789abcdef";
const std::string kEtag = http::strong_etag(kMtime, kContent.size());
const std::string kWeakEtag = "W/" + kEtag;
const std::string kLastModified = http::format_http_date(kMtime);
const std::string kEarlier = http::format_http_date(kMtime - 1);

class StaticRoute : public ::testing::Test {
protected:
    // The route only reads the cache directory, so each suite makes it once:
    // a file, a folder, and a link to a file outside.
    static void SetUpTestSuite() {
        cache_.emplace();
        outside_.emplace();
        ct_test::write_file(*cache_ / "show/ep 1.mp3", kContent);
        ct_test::set_mtime(*cache_ / "show/ep 1.mp3", kMtime);
        std::filesystem::create_directories(*cache_ / "folder");
        ct_test::write_file(*outside_ / "secret.txt", "secret");
        std::filesystem::create_symlink(*outside_ / "secret.txt", *cache_ / "link.txt");
    }
    static void TearDownTestSuite() {
        cache_.reset();
        outside_.reset();
    }

    const http::Response& serve(const http::Request& req, std::string_view raw_name) {
        out_.reset();
        handle_static(req, raw_name, out_, files_, options_);
        return out_;
    }
    const http::Response& serve(std::string_view raw_name) { return serve(test::request("/"), raw_name); }

    static inline std::optional<ct_test::TempDir> cache_, outside_;
    // Bodies from the descriptor (sendfile); static_memory_test.cpp holds the memory path to the same answers.
    store::FileCache files_{cache_->path().string(), {.cache_bytes = 0}};
    RouteOptions options_;
    http::Response out_;
};

TEST_F(StaticRoute, TheWholeFileWithItsValidators) {
    const auto& out = serve("show/ep%201.mp3");
    EXPECT_EQ(out.status, 200);
    EXPECT_EQ(out.headers(), "Content-Type: audio/mpeg\r\nAccept-Ranges: bytes\r\nETag: " + kEtag +
                                 "\r\nLast-Modified: " + kLastModified +
                                 "\r\nCache-Control: public, max-age=86400\r\n");
    ASSERT_TRUE(out.file);
    EXPECT_EQ(out.file_offset, 0u);
    EXPECT_EQ(out.file_length, kContent.size());
    EXPECT_EQ(out.content_length(), kContent.size());
    EXPECT_EQ(out.body, "");
}

TEST_F(StaticRoute, NoCacheControlWhenNoneIsConfigured) {
    options_.cache_control.clear();
    const auto& out = serve("show/ep%201.mp3");
    EXPECT_EQ(out.status, 200);
    EXPECT_FALSE(has_header(out, "Cache-Control"));
}

// --- Conditionals, RFC 9110 §13.2.2 ---

struct ConditionalCase {
    std::string name;  // test name suffix
    std::string if_match, if_none_match, if_modified_since, if_unmodified_since;
    int status;
};

void PrintTo(const ConditionalCase& c, std::ostream* os) { *os << c.name; }

class StaticConditional : public StaticRoute, public ::testing::WithParamInterface<ConditionalCase> {};

TEST_P(StaticConditional, Answers) {
    const ConditionalCase& c = GetParam();
    http::Request req = test::request("/");
    req.if_match = c.if_match;
    req.if_none_match = c.if_none_match;
    req.if_modified_since = c.if_modified_since;
    req.if_unmodified_since = c.if_unmodified_since;
    const auto& out = serve(req, "show/ep%201.mp3");
    EXPECT_EQ(out.status, c.status);
    // §15.4.5: a 304 carries the validators a 200 would; so does our 412.
    EXPECT_EQ(header(out, "ETag"), kEtag);
    EXPECT_EQ(header(out, "Last-Modified"), kLastModified);
    EXPECT_EQ(header(out, "Cache-Control"), "public, max-age=86400");
    EXPECT_EQ(out.file != nullptr, c.status == 200) << "only a 200 sends the file";
}

INSTANTIATE_TEST_SUITE_P(
    Rules, StaticConditional,
    ::testing::Values(ConditionalCase{"None", "", "", "", "", 200},
                      ConditionalCase{"IfNoneMatchSame", "", kEtag, "", "", 304},
                      ConditionalCase{"IfNoneMatchInList", "", "\"x\", " + kEtag, "", "", 304},
                      ConditionalCase{"IfNoneMatchStar", "", "*", "", "", 304},
                      ConditionalCase{"IfNoneMatchWeakIsEnough", "", kWeakEtag, "", "", 304},
                      ConditionalCase{"IfNoneMatchOther", "", "\"other\"", "", "", 200},
                      ConditionalCase{"IfModifiedSinceSame", "", "", kLastModified, "", 304},
                      ConditionalCase{"IfModifiedSinceEarlier", "", "", kEarlier, "", 200},
                      ConditionalCase{"IfNoneMatchOverridesIfModifiedSince", "", "\"other\"", kLastModified, "", 200},
                      ConditionalCase{"IfMatchSame", kEtag, "", "", "", 200},
                      ConditionalCase{"IfMatchOther", "\"other\"", "", "", "", 412},
                      ConditionalCase{"IfMatchWeakFails", kWeakEtag, "", "", "", 412},
                      ConditionalCase{"IfUnmodifiedSinceSame", "", "", "", kLastModified, 200},
                      ConditionalCase{"IfUnmodifiedSinceEarlier", "", "", "", kEarlier, 412}),
    [](const auto& info) { return info.param.name; });

// --- Ranges, RFC 9110 §14, and If-Range, §13.1.5 ---

struct RangeCase {
    std::string name;  // test name suffix
    std::string range, if_range;
    int status;
    std::string content_range;  // "" when there is none
    std::uint64_t offset, length;
};

void PrintTo(const RangeCase& c, std::ostream* os) { *os << c.name; }

class StaticRange : public StaticRoute, public ::testing::WithParamInterface<RangeCase> {};

TEST_P(StaticRange, Answers) {
    const RangeCase& c = GetParam();
    http::Request req = test::request("/");
    req.range = c.range;
    req.if_range = c.if_range;
    const auto& out = serve(req, "show/ep%201.mp3");
    EXPECT_EQ(out.status, c.status);
    EXPECT_EQ(header(out, "Content-Range"), c.content_range);
    if (c.status == 416) {
        // Nothing about the file but its length: the error shape and Content-Range.
        EXPECT_EQ(out.file, nullptr);
        EXPECT_EQ(header(out, "Content-Type"), "text/plain; charset=utf-8");
        EXPECT_FALSE(has_header(out, "ETag"));
        return;
    }
    ASSERT_TRUE(out.file);
    EXPECT_EQ(out.file_offset, c.offset);
    EXPECT_EQ(out.file_length, c.length);
    EXPECT_EQ(header(out, "Accept-Ranges"), "bytes");
    EXPECT_EQ(header(out, "ETag"), kEtag);
}

INSTANTIATE_TEST_SUITE_P(
    Rules, StaticRange,
    ::testing::Values(RangeCase{"None", "", "", 200, "", 0, 16},
                      RangeCase{"FirstBytes", "bytes=0-3", "", 206, "bytes 0-3/16", 0, 4},
                      RangeCase{"Middle", "bytes=4-9", "", 206, "bytes 4-9/16", 4, 6},
                      RangeCase{"OpenEnded", "bytes=10-", "", 206, "bytes 10-15/16", 10, 6},
                      RangeCase{"Suffix", "bytes=-3", "", 206, "bytes 13-15/16", 13, 3},
                      RangeCase{"LastClampedToTheEnd", "bytes=8-100", "", 206, "bytes 8-15/16", 8, 8},
                      RangeCase{"SeveralGetTheWholeFile", "bytes=0-1,4-5", "", 200, "", 0, 16},
                      RangeCase{"OtherUnitIgnored", "items=0-1", "", 200, "", 0, 16},
                      RangeCase{"SyntaxErrorIgnored", "bytes=5-2", "", 200, "", 0, 16},
                      RangeCase{"Unsatisfiable", "bytes=16-", "", 416, "bytes */16", 0, 0},
                      RangeCase{"IfRangeSameEtag", "bytes=0-3", kEtag, 206, "bytes 0-3/16", 0, 4},
                      RangeCase{"IfRangeStaleEtag", "bytes=0-3", "\"stale\"", 200, "", 0, 16},
                      RangeCase{"IfRangeWeakEtagNeverMatches", "bytes=0-3", kWeakEtag, 200, "", 0, 16},
                      RangeCase{"IfRangeSameDate", "bytes=0-3", kLastModified, 206, "bytes 0-3/16", 0, 4},
                      RangeCase{"IfRangeOtherDate", "bytes=0-3", kEarlier, 200, "", 0, 16},
                      RangeCase{"IfRangeStaleUnsatisfiableIsWholeFile", "bytes=16-", "\"stale\"", 200, "", 0, 16}),
    [](const auto& info) { return info.param.name; });

// --- Names: untrusted, decoded once, beneath the cache directory ---

struct NameCase {
    std::string name;  // test name suffix
    std::string raw;
    int status;
};

void PrintTo(const NameCase& c, std::ostream* os) { *os << c.name; }

class StaticName : public StaticRoute, public ::testing::WithParamInterface<NameCase> {};

TEST_P(StaticName, Answers) {
    const NameCase& c = GetParam();
    const auto& out = serve(c.raw);
    EXPECT_EQ(out.status, c.status);
    EXPECT_EQ(out.file != nullptr, c.status == 200);
    EXPECT_EQ(out.body.find("secret"), std::string::npos) << "nothing of a file outside is told";
}

INSTANTIATE_TEST_SUITE_P(
    Rules, StaticName,
    ::testing::Values(NameCase{"Encoded", "show/ep%201.mp3", 200},
                      NameCase{"CaseInsensitive", "Show/EP%201.MP3", 200},
                      NameCase{"Missing", "show/ep%202.mp3", 404},
                      NameCase{"AFolder", "folder", 404},
                      NameCase{"Traversal", "show/../show/ep%201.mp3", 400},
                      NameCase{"EncodedTraversal", "%2e%2e/etc/passwd", 400},
                      NameCase{"Backslash", "show\\ep%201.mp3", 400},
                      NameCase{"ControlCharacter", "show/ep%0a1.mp3", 400},
                      NameCase{"BadEscape", "show/ep%zz.mp3", 400},
                      NameCase{"Empty", "", 400},
                      NameCase{"OwnStateIsAsIfAbsent", ".cache-tier/meta/x", 404},
                      NameCase{"SymlinkOutside", "link.txt", 403}),
    [](const auto& info) { return info.param.name; });

TEST_F(StaticRoute, ABadNameSaysWhatIsWrongWithIt) {
    const auto& out = serve("a/../b");
    EXPECT_EQ(out.status, 400);
    EXPECT_EQ(out.body, "400 Bad Request: " + std::string(store::describe(store::NameError::traversal)) + "\n");
}

}  // namespace
}  // namespace cache_tier::routes
