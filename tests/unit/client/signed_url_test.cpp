// build_download_url with a signing secret: a link straight to the file, with
// the expiry from a clock set by hand and the signature of docs/signed-links.md.
#include <gtest/gtest.h>

#include <chrono>

#include "cache_tier/client.hpp"

namespace cache_tier {
namespace {

using namespace std::chrono_literals;

ClientOptions signing_options() {
    ClientOptions options;
    options.url_signing_secret = "correct horse battery staple";
    // 2026-01-01T00:00:00Z
    options.wall_clock = [] { return std::chrono::system_clock::time_point(1767225600s); };
    return options;
}

TEST(SignedDownloadUrl, IsASignedLinkToTheFileValidForTheTtl) {
    // The signature of "/static/files_cache/show/ep 1.mp3\n1767229200" under
    // this secret, computed with Python's hmac module (tests/unit/signing).
    Client client("http://cdn.example.com/", signing_options());
    EXPECT_EQ(client.build_download_url(" Show/Ep 1.mp3 "),
              "http://cdn.example.com/static/files_cache/Show/Ep%201.mp3?expires=1767229200"
              "&signature=IZX2a3MA1TQ5hymmOwvAFDOcetxax8QA9-jh9c2HO-k");

    ClientOptions options = signing_options();
    options.url_signing_ttl = 1s;
    options.static_prefix = "/files/";
    EXPECT_EQ(Client("https://cdn.example.com/base/", options).build_download_url("a b.mp3").substr(0, 68),
              "https://cdn.example.com/base/files/a%20b.mp3?expires=1767225601&sign");
}

TEST(SignedDownloadUrl, WithoutASecretTheUrlIsTheDownloadRouteAsBefore) {
    ClientOptions options = signing_options();
    options.url_signing_secret.clear();
    EXPECT_EQ(Client("http://cdn.example.com", options).build_download_url("a.mp3"),
              "http://cdn.example.com/download/a.mp3");
}

TEST(SignedDownloadUrl, BadSigningOptionsThrowCacheError) {
    const auto refused = [](ClientOptions options, std::string_view needle) {
        try {
            Client client("http://cdn.example.com", options);
            ADD_FAILURE() << "accepted; expected an error about " << needle;
        } catch (const CacheError& e) {
            EXPECT_NE(std::string_view(e.what()).find(needle), std::string_view::npos) << e.what();
        }
    };
    ClientOptions options = signing_options();
    options.url_signing_secret = "too short";
    refused(options, "at least 16");
    options = signing_options();
    options.url_signing_ttl = 0s;
    refused(options, "url_signing_ttl");
    for (std::string prefix : {"", "/", "static/", "/static", "/a b/", "/a?/"}) {
        options = signing_options();
        options.static_prefix = prefix;
        refused(options, "static_prefix");
    }
}

}  // namespace
}  // namespace cache_tier
