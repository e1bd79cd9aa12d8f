// /verify and /download as plain functions of the request, over a real fill
// engine and a file:// origin: the JSON clients parse and the redirects.
#include <future>

#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

#include "fill/fill_engine.hpp"
#include "origins/origin.hpp"
#include "routes/health.hpp"
#include "routes/routes.hpp"
#include "route_test_support.hpp"
#include "signing/signed_link.hpp"
#include "store/file_cache.hpp"
#include "support/manual_clock.hpp"
#include "support/process.hpp"

namespace cache_tier::routes {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

using test::header;

class VerifyAndDownload : public ::testing::Test {
protected:
    ct_test::TempDir origin_dir;
    ct_test::TempDir cache;
    RouteOptions options;
    std::unique_ptr<fill::FillEngine> fills;
    std::unique_ptr<store::FileCache> files;
    Readiness readiness{cache.path(), 60s};
    http::Request req;
    http::Response out;

    void SetUp() override {
        req.method = http::Method::get;
        ct_test::write_file(origin_dir / "Show/Ep 1.mp3", "audio");
        fill::FillOptions fill_options;
        fill_options.cache_dir = cache.path();
        fill_options.negative_ttl = 3600s;
        origins::OriginOptions origin_options;
        origin_options.url = "file://" + origin_dir.path().string();
        fills = std::make_unique<fill::FillEngine>(fill_options, origins::make_origin(origin_options));
        files = std::make_unique<store::FileCache>(cache.path().string());
    }

    nlohmann::json verify(std::string_view raw, fill::FillEngine* engine) {
        out.reset();
        handle_verify(req, raw, out, RouteContext{options, engine, *files, readiness});
        EXPECT_EQ(header(out, "Content-Type"), "application/json");
        EXPECT_EQ(header(out, "Cache-Control"), "no-store");
        auto json = nlohmann::json::parse(out.body, nullptr, false);
        EXPECT_TRUE(json.is_object()) << out.body;
        return json;
    }
    nlohmann::json verify(std::string_view raw) { return verify(raw, fills.get()); }

    void download(std::string_view raw, fill::FillEngine* engine) {
        out.reset();
        handle_download(req, raw, out, RouteContext{options, engine, *files, readiness});
    }
    void download(std::string_view raw) { download(raw, fills.get()); }
};

TEST_F(VerifyAndDownload, VerifyOfAMissFillsAndAnswersInTheOriginalShape) {
    auto first = verify("Show/Ep%201.mp3");
    EXPECT_EQ(out.status, 200);
    EXPECT_EQ(first["available"], false);
    EXPECT_EQ(first["file"], "Show/Ep 1.mp3");  // decoded, the client's case
    EXPECT_EQ(first["error"], false);
    EXPECT_TRUE(first["error_msg"].is_null());
    EXPECT_EQ(first["state"], "filling");

    ASSERT_TRUE(fills->wait_idle(10s));
    auto second = verify("Show/Ep%201.mp3");
    EXPECT_EQ(second["available"], true);
    EXPECT_EQ(second["state"], "cached");
    EXPECT_TRUE(second["error_msg"].is_null());
}

TEST_F(VerifyAndDownload, VerifyReportsAnOrigin404) {
    verify("gone.mp3");
    ASSERT_TRUE(fills->wait_idle(10s));
    auto json = verify("gone.mp3");
    EXPECT_EQ(json["available"], false);
    EXPECT_EQ(json["error"], true);
    EXPECT_EQ(json["state"], "not_found");
    EXPECT_NE(json["error_msg"].get<std::string>().find("gone.mp3"), std::string::npos);
}

TEST_F(VerifyAndDownload, InvalidNamesGet400WithTheSameShapeAndNoFill) {
    for (std::string_view raw : {"", "a/../b", "%2e%2e/etc/passwd", "a%00b", "a\\b", "bad%zzescape", ".cache-tier/meta/x"}) {
        auto json = verify(raw);
        EXPECT_EQ(out.status, 400) << raw;
        EXPECT_EQ(json["available"], false) << raw;
        EXPECT_EQ(json["error"], true) << raw;
        EXPECT_TRUE(json["error_msg"].is_string()) << raw;
        EXPECT_TRUE(json["file"].is_string()) << raw;
    }
    EXPECT_EQ(verify("%2e%2e/etc/passwd")["file"], "../etc/passwd");
    EXPECT_EQ(verify("bad%zzescape")["file"], "bad%zzescape");
    ASSERT_TRUE(fills->wait_idle(5s));
    EXPECT_TRUE(fs::is_empty(cache / ".cache-tier/tmp"));
}

TEST_F(VerifyAndDownload, NamesThatAreNotUtf8StillGiveValidJson) {
    auto json = verify("caf%E9%22%0A.mp3");  // Latin-1 é, a quote, a newline (refused: control character)
    EXPECT_EQ(out.status, 400);
    EXPECT_EQ(json["file"], "caf\xEF\xBF\xBD\"\n.mp3");
    auto latin1 = verify("caf%E9.mp3");  // not UTF-8: refused, and said so in valid JSON
    EXPECT_EQ(out.status, 400);
    EXPECT_EQ(latin1["file"], "caf\xEF\xBF\xBD.mp3");
    EXPECT_EQ(latin1["error_msg"], "name is not well-formed UTF-8");
}

TEST_F(VerifyAndDownload, WithoutAnOriginVerifySaysSo) {
    auto json = verify("Show/Ep%201.mp3", nullptr);
    EXPECT_EQ(out.status, 200);
    EXPECT_EQ(json["available"], false);
    EXPECT_EQ(json["error"], true);
    EXPECT_EQ(json["error_msg"], "no origin configured");
}

TEST_F(VerifyAndDownload, DownloadOfAMissRedirectsToTheOriginAndFills) {
    options.stream_misses = false;  // the original's behaviour
    download("Show/Ep%201.mp3");
    EXPECT_EQ(out.status, 302);
    EXPECT_EQ(header(out, "Location"), fills->origin_url({"show/ep 1.mp3", "Show/Ep 1.mp3"}));
    EXPECT_NE(header(out, "Location").find("Show/Ep"), std::string::npos);
    EXPECT_EQ(header(out, "Cache-Control"), "no-store");
    EXPECT_EQ(out.body, "");
    ASSERT_TRUE(fills->wait_idle(10s));
    EXPECT_TRUE(fs::exists(cache / "show/ep 1.mp3"));
}

// With streaming (the default), a miss whose fill has no head yet is answered
// a little later: the route defers, and answers when called again. (The file
// origin may be quick enough that the head is in already: then it answers at
// once, with the local path.)
TEST_F(VerifyAndDownload, DownloadOfAMissDefersThenAnswersWhenCalledAgain) {
    download("Show/Ep%201.mp3");
    if (out.defer.retry_in.count() > 0) {
        EXPECT_EQ(out.defer.retry_in, options.stream_start_wait);
        ASSERT_TRUE(out.defer.wake_on);
        EXPECT_EQ(header(out, "Location"), "");
        // The wake-up comes once the fill's head is in (or it ended).
        std::promise<void> woken;
        out.defer.wake_on([&] { woken.set_value(); });
        ASSERT_EQ(woken.get_future().wait_for(10s), std::future_status::ready);
        ASSERT_TRUE(fills->wait_idle(10s));
        // Called again, it must answer: the copy is there by now, so to it.
        req.retried = true;
        download("Show/Ep%201.mp3");
        EXPECT_EQ(out.defer.retry_in.count(), 0);
    }
    EXPECT_EQ(out.status, 302);
    EXPECT_EQ(header(out, "Location"), "/static/files_cache/show/ep%201.mp3");
}

TEST_F(VerifyAndDownload, DownloadOfACachedFileRedirectsToTheLocalCopy) {
    ct_test::write_file(cache / "show/ep 1.mp3", "audio");
    download("Show/Ep%201.mp3");
    EXPECT_EQ(out.status, 302);
    EXPECT_EQ(header(out, "Location"), "/static/files_cache/show/ep%201.mp3");
    EXPECT_EQ(out.body, "");

    for (std::string base : {"https://cdn.example.com", "https://cdn.example.com/", "https://cdn.example.com//"}) {
        options.public_base_url = base;
        download("Show/Ep%201.mp3");
        EXPECT_EQ(header(out, "Location"), "https://cdn.example.com/static/files_cache/show/ep%201.mp3") << base;
    }
}

// With signing on, the redirect carries a fresh link, valid for the TTL,
// that the static route accepts.
TEST_F(VerifyAndDownload, DownloadWithSigningRedirectsToAFreshSignedLink) {
    ct_test::write_file(cache / "show/ep 1.mp3", "audio");
    ct_test::ManualClock clock;
    options.url_signing_secret = "a secret of 32 bytes, or nearly";
    options.url_signing_ttl = 600s;
    options.clock = &clock;
    download("Show/Ep%201.mp3");
    EXPECT_EQ(out.status, 302);
    const std::string location = header(out, "Location");
    const std::string expires = std::to_string(clock.unix_seconds() + 600);
    EXPECT_EQ(location, "/static/files_cache/show/ep%201.mp3?expires=" + expires + "&signature=" +
                            signing::signature(options.url_signing_secret, "/static/files_cache/show/ep 1.mp3",
                                               clock.unix_seconds() + 600));

    http::Request get = test::request(location);
    const auto serve = [&] {
        out.reset();
        handle_static(get, "show/ep%201.mp3", out, *files, options);
        return out.status;
    };
    EXPECT_EQ(serve(), 200);
    clock.advance(601s);
    EXPECT_EQ(serve(), 403);
}

TEST_F(VerifyAndDownload, DownloadOfAnInvalidNameIs400Json) {
    download("../x");
    EXPECT_EQ(out.status, 400);
    EXPECT_EQ(header(out, "Location"), "");
    auto json = nlohmann::json::parse(out.body, nullptr, false);
    EXPECT_EQ(json["available"], false);
    EXPECT_EQ(json["error"], true);
}

TEST_F(VerifyAndDownload, DownloadWithoutAnOriginIs503) {
    download("x.mp3", nullptr);
    EXPECT_EQ(out.status, 503);
    EXPECT_EQ(header(out, "Location"), "");
}

}  // namespace
}  // namespace cache_tier::routes
