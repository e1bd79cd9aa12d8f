// The static route with URL signing on: which links it serves, and the 403s,
// with the expiry clock moved by hand. The scheme itself is tested in
// tests/unit/signing.
#include <gtest/gtest.h>

#include <string>

#include "route_test_support.hpp"
#include "routes/routes.hpp"
#include "signing/signed_link.hpp"
#include "store/file_cache.hpp"
#include "support/manual_clock.hpp"
#include "support/process.hpp"

namespace cache_tier::routes {
namespace {

using namespace std::chrono_literals;
using test::header;

constexpr std::string_view kSecret = "a secret of 32 bytes, or nearly";
const std::string kContent = "0123456789abcdef";

class SignedStatic : public ::testing::Test {
protected:
    SignedStatic() {
        ct_test::write_file(cache_ / "show/ep 1.mp3", kContent);
        ct_test::write_file(cache_ / "other.mp3", "other");
        options_.url_signing_secret = kSecret;
        options_.clock = &clock_;
    }

    // "<prefix><raw>?expires=...&signature=..." for the decoded `name`, valid for `ttl`.
    std::string link(std::string_view raw, std::string_view name, std::chrono::seconds ttl = 60s) {
        return options_.static_prefix + std::string(raw) + "?" +
               signing::link_query(kSecret, signing::signed_path(options_.static_prefix, name),
                                   clock_.unix_seconds() + ttl.count());
    }

    // The request for `target`: the route gets what follows the prefix, without the query.
    const http::Response& serve(const std::string& target, std::vector<std::string_view> range = {},
                                http::Method method = http::Method::get) {
        target_ = target;
        http::Request req = test::request(target_, method);
        if (!range.empty()) req.range = range.front();
        std::string_view raw = req.path();
        raw.remove_prefix(options_.static_prefix.size());
        out_.reset();
        handle_static(req, raw, out_, files_, options_);
        return out_;
    }

    ct_test::TempDir cache_;
    ct_test::ManualClock clock_;
    RouteOptions options_;
    store::FileCache files_{cache_.path().string()};
    std::string target_;
    http::Response out_;
};

TEST_F(SignedStatic, AValidLinkServesTheFileWithRangesAndHead) {
    const std::string target = link("show/ep%201.mp3", "show/ep 1.mp3");
    EXPECT_EQ(serve(target).status, 200);
    EXPECT_EQ(out_.file_length, kContent.size());
    EXPECT_EQ(serve(target, {"bytes=4-7"}).status, 206);
    EXPECT_EQ(header(out_, "Content-Range"), "bytes 4-7/16");
    EXPECT_EQ(out_.file_offset, 4u);
    EXPECT_EQ(serve(target, {}, http::Method::head).status, 200);
}

TEST_F(SignedStatic, UnsignedMalformedAndForeignLinksGet403WithAShortReason) {
    const auto refused = [&](const std::string& target, std::string_view reason) {
        EXPECT_EQ(serve(target).status, 403) << target;
        EXPECT_NE(out_.body.find(reason), std::string::npos) << target << ": " << out_.body;
        EXPECT_EQ(out_.body.find(kSecret), std::string::npos);
        EXPECT_EQ(out_.file, nullptr);
    };
    refused("/static/files_cache/other.mp3", "needs a signed link");
    refused("/static/files_cache/other.mp3?expires=123", "without a signature");
    refused("/static/files_cache/other.mp3?expires=abc&signature=" + std::string(43, 'A'), "expires");
    // other.mp3 with show/ep 1.mp3's signature.
    const std::string ep = link("show/ep%201.mp3", "show/ep 1.mp3");
    refused("/static/files_cache/other.mp3" + ep.substr(ep.find('?')), "does not match");
    // A file that does not exist is refused before it is looked up: the answer
    // does not tell which files exist.
    refused("/static/files_cache/absent.mp3", "needs a signed link");
    refused(link("other.mp3", "other.mp3") + "&signature=x", "more than once");
}

TEST_F(SignedStatic, ALinkExpiresWithTheClock) {
    const std::string target = link("other.mp3", "other.mp3", 10s);
    EXPECT_EQ(serve(target).status, 200);
    clock_.advance(10s);
    EXPECT_EQ(serve(target).status, 200);
    clock_.advance(1s);
    EXPECT_EQ(serve(target).status, 403);
    EXPECT_NE(out_.body.find("expired"), std::string::npos) << out_.body;
}

// The link signs the file (its decoded, lower-cased name), not one spelling
// of its URL: another spelling reaches the same bytes and nothing else.
TEST_F(SignedStatic, AnySpellingOfTheSameFileIsAccepted) {
    const std::string query = link("x", "Show/Ep 1.MP3").substr(options_.static_prefix.size() + 1);
    for (std::string raw : {"show/ep%201.mp3", "Show/Ep%201.MP3", "show/ep%201.mp%33", "%73how/ep%201.mp3"})
        EXPECT_EQ(serve(options_.static_prefix + raw + query).status, 200) << raw;
}

TEST_F(SignedStatic, ValidLinkToAMissingFileIs404AndBadNamesKeepTheirAnswers) {
    EXPECT_EQ(serve(link("absent.mp3", "absent.mp3")).status, 404);
    EXPECT_EQ(serve("/static/files_cache/a/../b.mp3").status, 400);
    EXPECT_EQ(serve("/static/files_cache/.cache-tier/x").status, 404);
}

TEST_F(SignedStatic, WithoutASecretTheQueryIsIgnoredAsBefore) {
    options_.url_signing_secret.clear();
    EXPECT_EQ(serve("/static/files_cache/other.mp3").status, 200);
    EXPECT_EQ(serve("/static/files_cache/other.mp3?expires=1&signature=x").status, 200);
}

}  // namespace
}  // namespace cache_tier::routes
