// The router as the server core sees it: one http::Handler per thread, given a
// request and filling a response, no socket. Which route answers which target
// and method, and HEAD answered as GET.
#include <gtest/gtest.h>

#include <optional>
#include <ostream>
#include <string>

#include "route_test_support.hpp"
#include "routes/routes.hpp"
#include "support/process.hpp"

namespace cache_tier::routes {
namespace {

using test::header;

class Router : public ::testing::Test {
protected:
    // The routes only read the cache directory: one per suite.
    static void SetUpTestSuite() {
        cache_.emplace();
        ct_test::write_file(*cache_ / "a.txt", "alpha");
    }
    static void TearDownTestSuite() { cache_.reset(); }

    // A router built the way `cache-tier serve` builds one, with no origin.
    std::unique_ptr<http::Handler> make_router() {
        return make_router_factory(options_, cache_->path().string(), /*fills=*/nullptr)();
    }

    const http::Response& handle(std::string_view target, http::Method method = http::Method::get) {
        if (!router_) router_ = make_router();
        out_.reset();
        router_->handle(test::request(target, method), out_);
        return out_;
    }

    static inline std::optional<ct_test::TempDir> cache_;
    RouteOptions options_;
    std::unique_ptr<http::Handler> router_;
    http::Response out_;
};

struct RouteCase {
    std::string name;  // test name suffix
    std::string target;
    int status;
    std::string content_type;
};

void PrintTo(const RouteCase& c, std::ostream* os) { *os << c.name; }

class RouterPicks : public Router, public ::testing::WithParamInterface<RouteCase> {};

TEST_P(RouterPicks, TheRouteForTheTarget) {
    const RouteCase& c = GetParam();
    const auto& out = handle(c.target);
    EXPECT_EQ(out.status, c.status) << out.body;
    EXPECT_EQ(header(out, "Content-Type"), c.content_type);
}

INSTANTIATE_TEST_SUITE_P(
    Targets, RouterPicks,
    ::testing::Values(RouteCase{"StaticFile", "/static/files_cache/a.txt", 200, "text/plain; charset=utf-8"},
                      RouteCase{"StaticQueryIgnored", "/static/files_cache/a.txt?v=2", 200,
                                "text/plain; charset=utf-8"},
                      RouteCase{"StaticMissing", "/static/files_cache/b.txt", 404, "text/plain; charset=utf-8"},
                      RouteCase{"AbsoluteForm", "http://cache.example/static/files_cache/a.txt", 200,
                                "text/plain; charset=utf-8"},
                      RouteCase{"AbsoluteFormWithoutPath", "http://cache.example", 200, "text/html; charset=utf-8"},
                      RouteCase{"Index", "/", 200, "text/html; charset=utf-8"},
                      RouteCase{"VerifyWithoutOrigin", "/verify/a.txt", 200, "application/json"},
                      RouteCase{"DownloadWithoutOrigin", "/download/a.txt", 503, "text/plain; charset=utf-8"},
                      RouteCase{"UnknownEndpoint", "/nope", 404, "text/plain; charset=utf-8"},
                      RouteCase{"PrefixWithoutItsSlash", "/static/files_cache", 404, "text/plain; charset=utf-8"},
                      RouteCase{"NotATarget", "nonsense", 400, "text/plain; charset=utf-8"}),
    [](const auto& info) { return info.param.name; });

// small_file_cache reaches the thread's file cache: a small file comes from
// memory (header and body in one send), else it is only described (sendfile).
TEST_F(Router, ASmallFileIsSentFromMemory) {
    const auto& out = handle("/static/files_cache/a.txt");
    EXPECT_EQ(out.file, nullptr);
    EXPECT_EQ(out.content_length(), 5u);
    EXPECT_EQ(out.body, "alpha");
}

TEST_F(Router, WithoutTheSmallFileCacheTheFileIsDescribedNotRead) {
    options_.small_files.cache_bytes = 0;
    const auto& out = handle("/static/files_cache/a.txt");
    ASSERT_TRUE(out.file);
    EXPECT_EQ(out.content_length(), 5u);
    EXPECT_EQ(out.body, "");
}

TEST_F(Router, OnlyGetAndHeadAreAllowedOnTheEndpoints) {
    for (std::string target : {"/static/files_cache/a.txt", "/verify/a.txt", "/download/a.txt", "/"}) {
        const auto& out = handle(target, http::Method::other);
        EXPECT_EQ(out.status, 405) << target;
        EXPECT_EQ(header(out, "Allow"), "GET, HEAD") << target;
        EXPECT_EQ(out.file, nullptr) << target;
    }
    EXPECT_EQ(handle("/nope", http::Method::other).status, 404);
}

// RFC 9110 §9.3.2: the same status and headers as GET; the server core leaves the content out.
TEST_F(Router, HeadIsAnsweredAsGet) {
    for (std::string target : {"/static/files_cache/a.txt", "/static/files_cache/b.txt", "/verify/a.txt",
                               "/download/a.txt", "/", "/nope"}) {
        const http::Response get = handle(target, http::Method::get);
        const auto& head = handle(target, http::Method::head);
        EXPECT_EQ(head.status, get.status) << target;
        EXPECT_EQ(head.headers(), get.headers()) << target;
        EXPECT_EQ(head.content_length(), get.content_length()) << target;
    }
}

TEST_F(Router, TheStaticPrefixIsConfigurable) {
    options_.static_prefix = "/files/";
    EXPECT_EQ(handle("/files/a.txt").status, 200);
    EXPECT_EQ(handle("/static/files_cache/a.txt").status, 404);
}

}  // namespace
}  // namespace cache_tier::routes
