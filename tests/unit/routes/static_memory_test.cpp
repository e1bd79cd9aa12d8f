// A hot small file's answers from memory are the answers sendfile gives:
// for each request (plain, ranges, If-Range, every conditional, HEAD) the
// route is asked twice, through a file cache that keeps small files in memory
// and through one that does not, and status, headers, length and body bytes
// must be the same.
#include <gtest/gtest.h>
#include <unistd.h>

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

constexpr std::int64_t kMtime = 1'700'000'000;
const std::string kContent = "0123456789abcdefghijklmnopqrstuvwxyz";
const std::string kEtag = http::strong_etag(kMtime, kContent.size());
const std::string kLastModified = http::format_http_date(kMtime);

struct MemoryCase {
    std::string name;  // test name suffix
    http::Method method = http::Method::get;
    std::string range, if_range, if_none_match, if_match, if_modified_since;
    int status;
};

void PrintTo(const MemoryCase& c, std::ostream* os) { *os << c.name; }

// The body a response sends, whether it is held in memory or described by a descriptor.
std::string body_bytes(const http::Response& out) {
    if (!out.file) return out.body;
    std::string bytes(out.file_length, '\0');
    const ssize_t n = ::pread(out.file->fd.get(), bytes.data(), bytes.size(), static_cast<off_t>(out.file_offset));
    EXPECT_EQ(n, static_cast<ssize_t>(bytes.size()));
    return bytes;
}

class StaticFromMemory : public ::testing::TestWithParam<MemoryCase> {
protected:
    static void SetUpTestSuite() {
        cache_.emplace();
        ct_test::write_file(*cache_ / "show/clip.mp3", kContent);
        ct_test::set_mtime(*cache_ / "show/clip.mp3", kMtime);
    }
    static void TearDownTestSuite() { cache_.reset(); }

    void serve(store::FileCache& files, http::Response& out) {
        const MemoryCase& c = GetParam();
        http::Request req = test::request("/", c.method);
        req.range = c.range;
        req.if_range = c.if_range;
        req.if_none_match = c.if_none_match;
        req.if_match = c.if_match;
        req.if_modified_since = c.if_modified_since;
        handle_static(req, "show/clip.mp3", out, files, options_);
    }

    static inline std::optional<ct_test::TempDir> cache_;
    RouteOptions options_;
    store::FileCache from_memory_{cache_->path().string()};
    store::FileCache from_descriptor_{cache_->path().string(), {.cache_bytes = 0}};
};

TEST_P(StaticFromMemory, AnswersAsSendfileDoes) {
    http::Response memory, descriptor;
    // Twice: the first send reads the file, the second is served from what was read.
    for (int round = 0; round < 2; ++round) {
        memory.reset();
        serve(from_memory_, memory);
    }
    serve(from_descriptor_, descriptor);
    EXPECT_EQ(memory.status, GetParam().status);
    EXPECT_EQ(memory.status, descriptor.status);
    EXPECT_EQ(memory.headers(), descriptor.headers());
    EXPECT_EQ(memory.content_length(), descriptor.content_length());
    EXPECT_EQ(body_bytes(memory), body_bytes(descriptor));
    // A GET's body comes from memory; a HEAD has none to send (RFC 9110 §9.3.2), so nothing is read for it.
    if (GetParam().method == http::Method::get) {
        EXPECT_EQ(memory.file, nullptr) << "a small file's body is sent from memory, or not at all";
    } else {
        EXPECT_EQ(memory.body, "");
    }
}

INSTANTIATE_TEST_SUITE_P(
    Requests, StaticFromMemory,
    ::testing::Values(MemoryCase{"Whole", http::Method::get, "", "", "", "", "", 200},
                      MemoryCase{"FirstBytes", http::Method::get, "bytes=0-3", "", "", "", "", 206},
                      MemoryCase{"Middle", http::Method::get, "bytes=10-19", "", "", "", "", 206},
                      MemoryCase{"Suffix", http::Method::get, "bytes=-5", "", "", "", "", 206},
                      MemoryCase{"ClampedToTheEnd", http::Method::get, "bytes=30-100", "", "", "", "", 206},
                      MemoryCase{"Unsatisfiable", http::Method::get, "bytes=36-", "", "", "", "", 416},
                      MemoryCase{"IfRangeSame", http::Method::get, "bytes=0-3", kEtag, "", "", "", 206},
                      MemoryCase{"IfRangeStale", http::Method::get, "bytes=0-3", "\"stale\"", "", "", "", 200},
                      MemoryCase{"IfNoneMatch", http::Method::get, "", "", kEtag, "", "", 304},
                      MemoryCase{"IfModifiedSince", http::Method::get, "", "", "", "", kLastModified, 304},
                      MemoryCase{"IfMatchOther", http::Method::get, "", "", "", "\"other\"", "", 412},
                      MemoryCase{"Head", http::Method::head, "", "", "", "", "", 200},
                      MemoryCase{"HeadOfARange", http::Method::head, "bytes=0-3", "", "", "", "", 206}),
    [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace cache_tier::routes
