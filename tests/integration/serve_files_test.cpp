// GET/HEAD <static prefix><name> (issue 2, points 4 and 5) against the real
// binary: ranges checked against the file's bytes, validators and 304s, HEAD,
// Content-Type, names, files that appear or change while the server runs.
#include <gtest/gtest.h>

#include <ctime>
#include <regex>
#include <thread>

#include "support/http_client.hpp"
#include "support/process.hpp"
#include "support/serve_helpers.hpp"

namespace ct_test {
namespace {

constexpr std::time_t kMtime = 1700000000;  // Tue, 14 Nov 2023 22:13:20 GMT
constexpr std::size_t kSize = 10000;

// One server for the whole suite: these tests only read, or use their own names.
class ServeFiles : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        cache_ = new TempDir;
        episode_ = random_bytes(kSize, 1);
        put("ep1.mp3", episode_);
        put("show/season 1/ep 2.mp3", random_bytes(3000, 2));
        for (auto name : {"t.mp4", "t.m4a", "t.png", "t.jpg", "t.gif", "t.xyz", "noext", "t.txt"})
            put(name, "content of " + std::string(name));
        // An unfinished fill: a temporary file under cache-tier's own folder.
        put(".cache-tier/tmp/partial.mp3", "PARTIAL-BYTES");
        server_ = new CacheTierServer(cache_->path());
    }
    static void TearDownTestSuite() {
        delete server_;
        delete cache_;
    }
    void TearDown() override {
        EXPECT_TRUE(server_->process().running()) << "server died; stderr:\n" << server_->process().stderr_text();
    }

    static void put(const std::string& name, const std::string& bytes) {
        write_file(cache_->path() / name, bytes);
        set_mtime(cache_->path() / name, kMtime);
    }
    static int port() { return server_->port(); }
    static std::optional<HttpResponse> get(const std::string& name, const std::vector<std::string>& headers = {}) {
        return http_get(port(), static_url(name), headers);
    }
    static std::optional<HttpResponse> head(const std::string& name, const std::vector<std::string>& headers = {}) {
        return http_request(port(), "HEAD", static_url(name), headers);
    }
    // -1 / "" when no response came.
    static int status_of(const std::string& name) {
        auto r = get(name);
        return r ? r->status : -1;
    }
    static std::string body_of(const std::string& name) {
        auto r = get(name);
        return r ? r->body : "";
    }
    static std::string etag_of(const std::string& name) {
        auto r = get(name);
        return r ? r->header("ETag") : "";
    }

    static TempDir* cache_;
    static CacheTierServer* server_;
    static std::string episode_;
};
TempDir* ServeFiles::cache_ = nullptr;
CacheTierServer* ServeFiles::server_ = nullptr;
std::string ServeFiles::episode_;

TEST_F(ServeFiles, WholeFileWithLengthTypeAndAcceptRanges) {
    auto r = get("ep1.mp3");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_TRUE(r->body == episode_);
    EXPECT_EQ(r->header("Content-Length"), std::to_string(kSize));
    EXPECT_EQ(r->header("Content-Type"), "audio/mpeg");
    EXPECT_EQ(r->header("Accept-Ranges"), "bytes");
    EXPECT_FALSE(r->header("Cache-Control").empty());
}

// ---- Ranges, RFC 9110 §14 -------------------------------------------------

struct RangeCase {
    std::string name;
    std::string range;
    int status;                // 206, 200 (whole file) or 416
    std::size_t first, last;   // for 206: the bytes expected, inclusive
};

void PrintTo(const RangeCase& c, std::ostream* os) { *os << c.name; }

class ServeFilesRange : public ServeFiles, public ::testing::WithParamInterface<RangeCase> {};

TEST_P(ServeFilesRange, BodyAndHeadersMatchTheFileBytes) {
    const auto& c = GetParam();
    auto r = get("ep1.mp3", {"Range: " + c.range});
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, c.status) << "Range: " << c.range;
    if (c.status == 206) {
        EXPECT_EQ(r->header("Content-Range"),
                  "bytes " + std::to_string(c.first) + "-" + std::to_string(c.last) + "/" + std::to_string(kSize));
        EXPECT_EQ(r->header("Content-Length"), std::to_string(c.last - c.first + 1));
        EXPECT_TRUE(r->body == episode_.substr(c.first, c.last - c.first + 1)) << "bytes differ for " << c.range;
        EXPECT_EQ(r->header("Content-Type"), "audio/mpeg");
    } else if (c.status == 200) {
        EXPECT_TRUE(r->body == episode_);
        EXPECT_FALSE(r->has_header("Content-Range"));
    } else {
        EXPECT_EQ(r->header("Content-Range"), "bytes */" + std::to_string(kSize));
    }
}

INSTANTIATE_TEST_SUITE_P(
    Forms, ServeFilesRange,
    ::testing::Values(RangeCase{"first_hundred", "bytes=0-99", 206, 0, 99},
                      RangeCase{"middle", "bytes=1234-5677", 206, 1234, 5677},
                      RangeCase{"one_byte", "bytes=0-0", 206, 0, 0},
                      RangeCase{"last_byte", "bytes=9999-9999", 206, 9999, 9999},
                      RangeCase{"open_ended", "bytes=4000-", 206, 4000, kSize - 1},
                      RangeCase{"suffix", "bytes=-500", 206, kSize - 500, kSize - 1},
                      RangeCase{"suffix_longer_than_file", "bytes=-20000", 206, 0, kSize - 1},
                      RangeCase{"end_beyond_file_clamped", "bytes=9990-20000", 206, 9990, kSize - 1},
                      RangeCase{"spaces_around", "bytes= 10-19", 206, 10, 19},
                      RangeCase{"start_at_size", "bytes=10000-", 416, 0, 0},
                      RangeCase{"start_beyond_size", "bytes=20000-30000", 416, 0, 0},
                      RangeCase{"zero_suffix", "bytes=-0", 416, 0, 0},
                      RangeCase{"several_ranges", "bytes=0-1,5-6", 200, 0, 0},
                      RangeCase{"other_unit", "items=0-5", 200, 0, 0},
                      RangeCase{"garbage", "bytes=abc", 200, 0, 0}),
    [](const auto& info) { return info.param.name; });

TEST_F(ServeFiles, RangeOnHeadGivesTheRangeHeadersAndNoBody) {
    Connection c(port());
    ASSERT_TRUE(c.send(make_request("HEAD", static_url("ep1.mp3"), {"Range: bytes=100-199"}) +
                       make_request("GET", static_url("t.txt"))));
    auto r = c.read_response(/*head=*/true);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 206);
    EXPECT_EQ(r->header("Content-Range"), "bytes 100-199/10000");
    EXPECT_EQ(r->header("Content-Length"), "100");
    auto next = c.read_response();
    ASSERT_TRUE(next) << "the HEAD response was followed by body bytes, or nothing";
    EXPECT_EQ(next->body, "content of t.txt");
}

TEST_F(ServeFiles, IfRangeWithTheCurrentEtagGivesTheRange) {
    auto r = get("ep1.mp3", {"Range: bytes=0-9", "If-Range: " + etag_of("ep1.mp3")});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 206);
    EXPECT_TRUE(r->body == episode_.substr(0, 10));
}

TEST_F(ServeFiles, IfRangeWithAnotherEtagGivesTheWholeFile) {
    auto r = get("ep1.mp3", {"Range: bytes=0-9", "If-Range: \"not-the-etag\""});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_TRUE(r->body == episode_);
}

TEST_F(ServeFiles, IfRangeWithAWeakEtagGivesTheWholeFile) {
    // §13.1.5: If-Range uses the strong comparison; a weak tag never matches.
    auto r = get("ep1.mp3", {"Range: bytes=0-9", "If-Range: W/" + etag_of("ep1.mp3")});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
}

TEST_F(ServeFiles, IfRangeWithTheLastModifiedDateGivesTheRange) {
    auto r = get("ep1.mp3", {"Range: bytes=0-9", "If-Range: " + http_date(kMtime)});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 206);
    auto other = get("ep1.mp3", {"Range: bytes=0-9", "If-Range: " + http_date(kMtime - 3600)});
    ASSERT_TRUE(other);
    EXPECT_EQ(other->status, 200);
}

// ---- Validators and conditionals, RFC 9110 §8.8 and §13 ---------------------

TEST_F(ServeFiles, EtagAndLastModifiedDescribeTheFile) {
    auto r = get("ep1.mp3");
    ASSERT_TRUE(r);
    EXPECT_TRUE(std::regex_match(r->header("ETag"), std::regex(R"("[!#-~]+")"))) << "ETag: " << r->header("ETag");
    EXPECT_EQ(r->header("Last-Modified"), http_date(kMtime));
    auto again = get("ep1.mp3");
    ASSERT_TRUE(again);
    EXPECT_EQ(again->header("ETag"), r->header("ETag"));
    EXPECT_NE(etag_of("t.mp4"), r->header("ETag"));
}

struct ConditionalCase {
    std::string name;
    std::string header;  // "{etag}" is replaced with the file's ETag
    int status;
};

void PrintTo(const ConditionalCase& c, std::ostream* os) { *os << c.name; }

class ServeFilesConditional : public ServeFiles, public ::testing::WithParamInterface<ConditionalCase> {};

TEST_P(ServeFilesConditional, AnswersWithTheExpectedStatus) {
    std::string header = GetParam().header;
    const std::string etag = etag_of("ep1.mp3");
    ASSERT_FALSE(etag.empty());
    for (std::size_t at; (at = header.find("{etag}")) != std::string::npos;) header.replace(at, 6, etag);
    auto r = get("ep1.mp3", {header});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, GetParam().status) << header;
    if (GetParam().status == 304) {
        EXPECT_TRUE(r->body.empty());
        EXPECT_EQ(r->header("ETag"), etag);
    }
}

INSTANTIATE_TEST_SUITE_P(
    Headers, ServeFilesConditional,
    ::testing::Values(
        ConditionalCase{"none_match_same", "If-None-Match: {etag}", 304},
        ConditionalCase{"none_match_in_list", "If-None-Match: \"a\", {etag}, \"b\"", 304},
        ConditionalCase{"none_match_weak", "If-None-Match: W/{etag}", 304},
        ConditionalCase{"none_match_star", "If-None-Match: *", 304},
        ConditionalCase{"none_match_other", "If-None-Match: \"other\"", 200},
        ConditionalCase{"modified_since_same", "If-Modified-Since: " + http_date(kMtime), 304},
        ConditionalCase{"modified_since_later", "If-Modified-Since: " + http_date(kMtime + 3600), 304},
        ConditionalCase{"modified_since_earlier", "If-Modified-Since: " + http_date(kMtime - 1), 200},
        ConditionalCase{"modified_since_invalid", "If-Modified-Since: yesterday", 200},
        ConditionalCase{"match_other", "If-Match: \"other\"", 412},
        ConditionalCase{"match_same", "If-Match: {etag}", 200},
        ConditionalCase{"unmodified_since_earlier", "If-Unmodified-Since: " + http_date(kMtime - 3600), 412}),
    [](const auto& info) { return info.param.name; });

TEST_F(ServeFiles, IfNoneMatchTakesPrecedenceOverIfModifiedSince) {
    // §13.2.2: If-Modified-Since is ignored when If-None-Match is present.
    auto r = get("ep1.mp3", {"If-None-Match: \"other\"", "If-Modified-Since: " + http_date(kMtime)});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
}

TEST_F(ServeFiles, NotModifiedWinsOverRange) {
    auto r = get("ep1.mp3", {"If-None-Match: " + etag_of("ep1.mp3"), "Range: bytes=0-9"});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 304);
}

TEST_F(ServeFiles, HeadWithIfNoneMatchGets304) {
    auto r = head("ep1.mp3", {"If-None-Match: " + etag_of("ep1.mp3")});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 304);
}

// ---- HEAD, types, caching headers ----------------------------------------

TEST_F(ServeFiles, HeadHasTheHeadersOfGetAndNoBody) {
    auto g = get("ep1.mp3");
    ASSERT_TRUE(g);
    Connection c(port());
    ASSERT_TRUE(c.send(make_request("HEAD", static_url("ep1.mp3")) + make_request("GET", static_url("t.txt"))));
    auto h = c.read_response(/*head=*/true);
    ASSERT_TRUE(h);
    EXPECT_EQ(h->status, 200);
    for (auto name : {"Content-Length", "Content-Type", "ETag", "Last-Modified", "Accept-Ranges", "Cache-Control"})
        EXPECT_EQ(h->header(name), g->header(name)) << name;
    auto next = c.read_response();
    ASSERT_TRUE(next) << "HEAD sent body bytes (the next response did not parse)";
    EXPECT_EQ(next->status, 200);
    EXPECT_EQ(next->body, "content of t.txt");
}

TEST_F(ServeFiles, ContentTypeFollowsTheExtension) {
    const std::vector<std::pair<std::string, std::string>> expected = {
        {"ep1.mp3", "audio/mpeg"}, {"t.mp4", "video/mp4"},  {"t.m4a", "audio/mp4"},
        {"t.png", "image/png"},    {"t.jpg", "image/jpeg"}, {"t.gif", "image/gif"},
        {"t.xyz", "application/octet-stream"},              {"noext", "application/octet-stream"}};
    for (auto& [name, type] : expected) {
        auto r = head(name);
        ASSERT_TRUE(r) << name;
        EXPECT_EQ(r->status, 200) << name;
        EXPECT_EQ(r->header("Content-Type"), type) << name;
    }
    auto txt = head("t.txt");
    ASSERT_TRUE(txt);
    EXPECT_EQ(txt->header("Content-Type").rfind("text/plain", 0), 0u) << txt->header("Content-Type");
}

TEST_F(ServeFiles, CacheControlIsConfigurable) {
    TempDir dir;
    write_file(dir / "a.mp3", "x");
    CacheTierServer other(dir.path(), {"--cache-control", "no-cache, max-age=5"});
    auto r = http_get(other.port(), static_url("a.mp3"));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->header("Cache-Control"), "no-cache, max-age=5");
}

// ---- Names ----------------------------------------------------------------

TEST_F(ServeFiles, NamesAreCaseInsensitive) {
    for (auto name : {"EP1.MP3", "Ep1.Mp3", "ep1.MP3"}) {
        auto r = get(name);
        ASSERT_TRUE(r) << name;
        EXPECT_EQ(r->status, 200) << name;
        EXPECT_TRUE(r->body == episode_) << name;
        EXPECT_EQ(r->header("Content-Type"), "audio/mpeg") << name;
    }
}

TEST_F(ServeFiles, NamesWithSlashesAndEscapesReachSubfolders) {
    const std::string expected = read_file(cache_->path() / "show/season 1/ep 2.mp3");
    for (auto name : {"show/season%201/ep%202.mp3", "Show/Season%201/EP%202.mp3"}) {
        auto r = get(name);
        ASSERT_TRUE(r) << name;
        EXPECT_EQ(r->status, 200) << name;
        EXPECT_TRUE(r->body == expected) << name;
    }
}

TEST_F(ServeFiles, QueryStringIsIgnored) {
    auto r = get("ep1.mp3?download=1&t=5");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_TRUE(r->body == episode_);
}

TEST_F(ServeFiles, DirectoriesAreNotServed) {
    for (auto name : {"show", "show/", "show/season%201", ""}) {
        auto r = get(name);
        ASSERT_TRUE(r) << name;
        EXPECT_TRUE(r->status == 400 || r->status == 403 || r->status == 404) << "'" << name << "' gave " << r->status;
        EXPECT_EQ(r->body.find("ep 2.mp3"), std::string::npos) << "directory listing for '" << name << "'";
    }
}

TEST_F(ServeFiles, UnknownFileIs404) {
    auto r = get("nothing-here.mp3");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 404);
}

// ---- Last-Modified never later than Date, RFC 9110 §8.8.2.1 ------------------

// Seconds since the epoch of an IMF-fixdate; -1 if it is not one.
std::time_t parse_imf_fixdate(const std::string& text) {
    std::tm tm{};
    const char* end = ::strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
    return end && *end == '\0' ? ::timegm(&tm) : -1;
}

// What every answer about a file must hold, whatever its mtime: Last-Modified
// no later than Date, and conditionals judged against that Last-Modified.
void expect_last_modified_not_after_date(const HttpResponse& r) {
    const std::time_t date = parse_imf_fixdate(r.header("Date"));
    const std::time_t last_modified = parse_imf_fixdate(r.header("Last-Modified"));
    ASSERT_NE(date, -1) << "Date: " << r.header("Date");
    ASSERT_NE(last_modified, -1) << "Last-Modified: " << r.header("Last-Modified");
    EXPECT_LE(last_modified, date) << "Last-Modified: " << r.header("Last-Modified") << ", Date: " << r.header("Date");
}

TEST_F(ServeFiles, AModificationTimeInTheFutureIsServedAsTheDate) {
    const std::time_t future = std::time(nullptr) + 3600;
    put("future.mp3", "from the future");
    set_mtime(cache_->path() / "future.mp3", future);
    auto first = get("future.mp3");
    ASSERT_TRUE(first);
    EXPECT_EQ(first->status, 200);
    expect_last_modified_not_after_date(*first);
    EXPECT_EQ(first->header("Last-Modified"), first->header("Date")) << "§8.8.2.1: replaced by the message's Date";

    // Conditionals are judged against the Last-Modified that is sent, which
    // moves with the Date while the file's time is in the future.
    const std::string sent = first->header("Last-Modified");
    auto since = get("future.mp3", {"If-Modified-Since: " + sent});
    ASSERT_TRUE(since);
    expect_last_modified_not_after_date(*since);
    EXPECT_EQ(since->status, since->header("Last-Modified") == sent ? 304 : 200) << since->header("Last-Modified");
    auto if_range = get("future.mp3", {"Range: bytes=0-3", "If-Range: " + sent});
    ASSERT_TRUE(if_range);
    expect_last_modified_not_after_date(*if_range);
    EXPECT_EQ(if_range->status, if_range->header("Last-Modified") == sent ? 206 : 200);
    auto unmodified = get("future.mp3", {"If-Unmodified-Since: " + sent});
    ASSERT_TRUE(unmodified);
    EXPECT_EQ(unmodified->status, unmodified->header("Last-Modified") == sent ? 200 : 412);
    // The file's own time is not later than itself.
    auto own_time = get("future.mp3", {"If-Modified-Since: " + http_date(future)});
    ASSERT_TRUE(own_time);
    EXPECT_EQ(own_time->status, 304);
    // The entity tag describes the file, not the clock: it stays the same.
    EXPECT_EQ(own_time->header("ETag"), first->header("ETag"));
}

TEST_F(ServeFiles, AFileFilledInTheCurrentSecondGetsItsOwnTimeOnceTheDateReachesIt) {
    // The Date line is formatted once a second, so it may be a second behind
    // the clock a fill stamps its file with: one second ahead is that case.
    const std::time_t mtime = std::time(nullptr) + 1;
    put("just-filled.mp3", "just filled");
    set_mtime(cache_->path() / "just-filled.mp3", mtime);
    std::string etag;
    bool reached = false;
    for (auto deadline = std::chrono::steady_clock::now() + 4s; !reached && std::chrono::steady_clock::now() < deadline;
         std::this_thread::sleep_for(100ms)) {
        auto r = get("just-filled.mp3");
        ASSERT_TRUE(r);
        expect_last_modified_not_after_date(*r);
        if (etag.empty()) etag = r->header("ETag");
        EXPECT_EQ(r->header("ETag"), etag);
        reached = parse_imf_fixdate(r->header("Date")) >= mtime;
        if (reached) EXPECT_EQ(r->header("Last-Modified"), http_date(mtime));
    }
    EXPECT_TRUE(reached) << "the server's Date never reached a time one second ahead";
}

// ---- Files that change while the server runs --------------------------------

TEST_F(ServeFiles, FileAddedAtRunTimeIsServed) {
    ASSERT_EQ(status_of("late.mp3"), 404);
    write_file(cache_->path() / "late.mp3", "arrived late");
    EXPECT_TRUE(eventually([&] { return status_of("late.mp3") == 200; }, 2500ms, 100ms))
        << "a file dropped into the cache directory was not served within 2.5 s";
    EXPECT_EQ(body_of("late.mp3"), "arrived late");
}

TEST_F(ServeFiles, FileReplacedAtRunTimeServesTheNewBytesWithinTwoSeconds) {
    const auto path = cache_->path() / "replaced.mp3";
    write_file(path, "old content");
    ASSERT_EQ(body_of("replaced.mp3"), "old content");
    // The way a fill or an operator replaces a file: write aside, then rename.
    write_file(cache_->path() / "replaced.tmp", "new content, longer");
    fs::rename(cache_->path() / "replaced.tmp", path);
    EXPECT_TRUE(eventually([&] { return body_of("replaced.mp3") == "new content, longer"; }, 2500ms, 100ms))
        << "still serving the old bytes 2.5 s after a rename";

    // Rewritten in place, same name and size.
    write_file(path, "NEW CONTENT, LONGER");
    EXPECT_TRUE(eventually([&] { return body_of("replaced.mp3") == "NEW CONTENT, LONGER"; }, 2500ms, 100ms))
        << "still serving the old bytes 2.5 s after an in-place rewrite";
}

TEST_F(ServeFiles, FileDeletedAtRunTimeIsGoneWithinTwoSeconds) {
    write_file(cache_->path() / "deleted.mp3", "short-lived");
    ASSERT_EQ(status_of("deleted.mp3"), 200);
    fs::remove(cache_->path() / "deleted.mp3");
    EXPECT_TRUE(eventually([&] { return status_of("deleted.mp3") == 404; }, 2500ms, 100ms));
}

TEST_F(ServeFiles, TemporaryFilesOfUnfinishedFillsAreNeverServed) {
    for (auto name : {"partial.mp3", ".cache-tier/tmp/partial.mp3", ".CACHE-TIER/tmp/partial.mp3",
                      "%2ecache-tier/tmp/partial.mp3", ".cache-tier%2ftmp%2fpartial.mp3"}) {
        auto r = get(name);
        ASSERT_TRUE(r) << name;
        EXPECT_TRUE(r->status == 400 || r->status == 403 || r->status == 404) << name << " gave " << r->status;
        EXPECT_EQ(r->body.find("PARTIAL-BYTES"), std::string::npos) << name;
    }
}

// ---- Other paths and methods ------------------------------------------------

TEST_F(ServeFiles, MethodsOtherThanGetAndHeadGet405WithAllow) {
    for (auto method : {"POST", "PUT", "DELETE", "PATCH"}) {
        auto r = http_request(port(), method, static_url("x"), {"Content-Length: 0"});
        ASSERT_TRUE(r) << method;
        EXPECT_EQ(r->status, 405) << method;
        EXPECT_NE(r->header("Allow").find("GET"), std::string::npos) << method << " Allow: " << r->header("Allow");
        EXPECT_NE(r->header("Allow").find("HEAD"), std::string::npos) << method;
    }
    auto index_post = http_request(port(), "POST", "/", {"Content-Length: 0"});
    ASSERT_TRUE(index_post);
    EXPECT_EQ(index_post->status, 405);
}

TEST_F(ServeFiles, PostWithABodyGets405AndTheConnectionStaysUsable) {
    Connection c(port());
    ASSERT_TRUE(c.send("POST " + static_url("ep1.mp3") + " HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello" +
                       make_request("GET", static_url("t.txt"))));
    auto r = c.read_response();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 405);
    if (lower(r->header("Connection")) == "close") return;
    auto next = c.read_response();
    ASSERT_TRUE(next);
    EXPECT_EQ(next->body, "content of t.txt");
}

TEST_F(ServeFiles, UnknownPathsAre404) {
    for (auto target : {"/nope", "/static/other/ep1.mp3", "/static/files_cacheep1.mp3", "/static", "/favicon.ico"}) {
        auto r = http_get(port(), target);
        ASSERT_TRUE(r) << target;
        EXPECT_EQ(r->status, 404) << target;
    }
}

TEST_F(ServeFiles, IndexPageNamesTheServerAndItsEndpoints) {
    auto r = http_get(port(), "/");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->header("Content-Type").rfind("text/html", 0), 0u) << r->header("Content-Type");
    EXPECT_NE(r->body.find("cache-tier"), std::string::npos);
    EXPECT_NE(r->body.find("/static/files_cache/"), std::string::npos);
    auto h = http_request(port(), "HEAD", "/");
    ASSERT_TRUE(h);
    EXPECT_EQ(h->status, 200);
}

TEST_F(ServeFiles, StaticPrefixIsConfigurable) {
    TempDir dir;
    write_file(dir / "a.mp3", "moved");
    CacheTierServer other(dir.path(), {"--static-prefix", "/files/"});
    auto r = http_get(other.port(), "/files/a.mp3");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, "moved");
    auto old_prefix = http_get(other.port(), static_url("a.mp3"));
    ASSERT_TRUE(old_prefix);
    EXPECT_EQ(old_prefix->status, 404);
    auto index = http_get(other.port(), "/");
    ASSERT_TRUE(index);
    EXPECT_NE(index->body.find("/files/"), std::string::npos) << "the index page does not name the prefix";
}

// ---- Large files ------------------------------------------------------------

TEST_F(ServeFiles, HundredMegabyteFileArrivesIdentical) {
    const std::string big = random_bytes(100 << 20, 11);
    write_file(cache_->path() / "big.bin", big);
    Connection c(port());
    ASSERT_TRUE(c.send(make_request("GET", static_url("big.bin")) +
                       make_request("GET", static_url("big.bin"), {"Range: bytes=52428700-52428899"}) +
                       make_request("GET", static_url("t.txt"))));
    auto whole = c.read_response(false, 30s);
    ASSERT_TRUE(whole);
    EXPECT_EQ(whole->status, 200);
    EXPECT_EQ(whole->header("Content-Length"), std::to_string(big.size()));
    EXPECT_TRUE(whole->body == big) << "the 100 MB body differs from the file";
    auto part = c.read_response(false, 10s);
    ASSERT_TRUE(part);
    EXPECT_EQ(part->status, 206);
    EXPECT_TRUE(part->body == big.substr(52428700, 200));
    auto next = c.read_response();
    ASSERT_TRUE(next);
    EXPECT_EQ(next->body, "content of t.txt");
}

}  // namespace
}  // namespace ct_test
