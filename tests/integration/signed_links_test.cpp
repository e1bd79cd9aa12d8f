// Signed links against the real binary run with url_signing_secret_file: the
// links of /download, the C++ client, `cache-tier url --sign` and a shell
// with openssl (the documented scheme, outside our code) are served, with
// ranges and conditionals; unsigned, expired and tampered ones get 403.
#include <gtest/gtest.h>

#include <cctype>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "cache_tier/client.hpp"
#include "fill_support.hpp"
#include "support/process.hpp"
#include "support/serve_helpers.hpp"

namespace {

using namespace std::chrono_literals;
using ct_test::http_get;
using ct_test::http_request;

constexpr char kSecret[] = "an operator's secret: 32 bytes.";
const std::string kName = "Show/Ep 1.mp3";
const std::string kEncoded = "Show/Ep%201.mp3";

std::int64_t unix_now() {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// What follows "http://127.0.0.1:PORT" in `url`.
std::string target_of(const std::string& url, const std::string& base) {
    EXPECT_EQ(url.rfind(base, 0), 0u) << url;
    return url.substr(base.size());
}

class SignedLinks : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        dirs_ = std::make_unique<Dirs>();
        content_ = ct_test::random_bytes(200'000);
        ct_test::write_file(dirs_->origin / kName, content_);
        ct_test::write_file(dirs_->origin / "other.mp3", "other file");
        ct_test::write_file(dirs_->keys / "secret", std::string(kSecret) + "\n");
        server_ = std::make_unique<ct_test::CacheTierServer>(
            dirs_->cache.path(),
            std::vector<std::string>{"--origin", "file://" + dirs_->origin.path().string(), "--url-signing-secret-file",
                                     secret_file(), "--url-signing-ttl", "600"});
        // Both files cached before the tests look at them.
        for (const std::string& name : {kEncoded, std::string("other.mp3")})
            ASSERT_TRUE(ct_test::eventually(
                [&] {
                    auto r = http_get(server_->port(), "/verify/" + name);
                    return r && r->body.find("\"available\":true") != std::string::npos;
                },
                30s));
    }
    static void TearDownTestSuite() {
        server_.reset();
        dirs_.reset();
    }

    static std::string secret_file() { return (dirs_->keys / "secret").string(); }
    static int port() { return server_->port(); }
    static std::string base() { return server_->base_url(); }

    // The link a shell makes with openssl, following docs/signed-links.md only.
    static std::string shell_signed(const std::string& encoded_name, const std::string& decoded_lower_name,
                                     std::int64_t expires) {
        const std::string script =
            R"sh(sig=$(printf '%s\n%s' "$1" "$2" | openssl dgst -sha256 -hmac "$(cat "$3")" -binary | base64 | tr '+/' '-_' | tr -d '=');)sh"
            R"sh( printf '%s' "$sig")sh";
        std::string out;
        const int status = ct_test::run_command(
            {"sh", "-c", script, "sh", "/static/files_cache/" + decoded_lower_name, std::to_string(expires), secret_file()},
            &out);
        EXPECT_EQ(status, 0) << out;
        EXPECT_EQ(out.size(), 43u) << out;
        return "/static/files_cache/" + encoded_name + "?expires=" + std::to_string(expires) + "&signature=" + out;
    }

    static std::string client_link(const std::string& name) {
        cache_tier::ClientOptions options;
        options.url_signing_secret = kSecret;
        return target_of(cache_tier::Client(base(), options).build_download_url(name), base());
    }

    static void expect_403(const std::string& target, const std::string& reason) {
        for (const char* method : {"GET", "HEAD"}) {
            auto r = http_request(port(), method, target);
            ASSERT_TRUE(r) << target;
            EXPECT_EQ(r->status, 403) << method << ' ' << target;
            if (std::string(method) == "GET") {
                EXPECT_NE(r->body.find(reason), std::string::npos) << target << ": " << r->body;
                EXPECT_EQ(r->body.find(kSecret), std::string::npos);
            }
        }
    }

    struct Dirs {
        ct_test::TempDir origin, cache, keys;
    };
    static inline std::unique_ptr<Dirs> dirs_;
    static inline std::unique_ptr<ct_test::CacheTierServer> server_;
    static inline std::string content_;
};

TEST_F(SignedLinks, UnsignedRequestsForFilesAre403) {
    expect_403("/static/files_cache/" + kEncoded, "needs a signed link");
    expect_403("/static/files_cache/show/ep%201.mp3?utm_source=feed", "needs a signed link");
    expect_403("/static/files_cache/never-cached.mp3", "needs a signed link");
    // /verify and /download are the site's, and stay open.
    auto verify = http_get(port(), "/verify/other.mp3");
    ASSERT_TRUE(verify);
    EXPECT_EQ(verify->status, 200);
}

TEST_F(SignedLinks, TheCppClientsLinkServesTheFileWithRangesAndConditionals) {
    const std::string link = client_link(kName);
    EXPECT_EQ(link.rfind("/static/files_cache/" + kEncoded + "?expires=", 0), 0u) << link;
    auto whole = http_get(port(), link);
    ASSERT_TRUE(whole);
    ASSERT_EQ(whole->status, 200) << whole->body;
    EXPECT_TRUE(whole->body == content_);

    auto part = http_get(port(), link, {"Range: bytes=1000-1999"});
    ASSERT_TRUE(part);
    EXPECT_EQ(part->status, 206);
    EXPECT_EQ(part->header("Content-Range"), "bytes 1000-1999/200000");
    EXPECT_TRUE(part->body == content_.substr(1000, 1000));

    auto again = http_get(port(), link, {"If-None-Match: " + whole->header("ETag")});
    ASSERT_TRUE(again);
    EXPECT_EQ(again->status, 304);

    auto head = http_request(port(), "HEAD", link);
    ASSERT_TRUE(head);
    EXPECT_EQ(head->status, 200);
    EXPECT_EQ(head->header("Content-Length"), "200000");
}

TEST_F(SignedLinks, ALinkSignedByOpensslInAShellIsAccepted) {
    auto r = http_get(port(), shell_signed(kEncoded, "show/ep 1.mp3", unix_now() + 60));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200) << r->body;
    EXPECT_TRUE(r->body == content_);
}

TEST_F(SignedLinks, ExpiredLinksAre403) {
    expect_403(shell_signed(kEncoded, "show/ep 1.mp3", unix_now() - 5), "expired");
}

TEST_F(SignedLinks, TamperedLinksAre403) {
    const std::string link = client_link(kName);
    const std::string query = link.substr(link.find('?'));
    // Another file with this file's signature.
    expect_403("/static/files_cache/other.mp3" + query, "does not match");
    // A later expiry.
    const auto exp_at = link.find("expires=") + 8;
    std::string later = link;
    later[exp_at + 2] = later[exp_at + 2] == '9' ? '8' : '9';
    expect_403(later, "does not match");
    // A truncated signature, a signature with a character's case changed.
    expect_403(link.substr(0, link.size() - 1), "43 base64url");
    std::string flipped = link;
    const auto sig_at = link.find("signature=") + 10;
    std::size_t i = sig_at;
    while (!std::isalpha(static_cast<unsigned char>(flipped[i]))) ++i;
    flipped[i] = static_cast<char>(std::islower(static_cast<unsigned char>(flipped[i])) ? std::toupper(flipped[i])
                                                                                          : std::tolower(flipped[i]));
    expect_403(flipped, "does not match");
    expect_403(link + "&expires=1", "more than once");
}

TEST_F(SignedLinks, DownloadRedirectsToAFreshLinkThatWorksWhenFollowed) {
    const std::int64_t before = unix_now();
    auto redirect = http_get(port(), "/download/" + kEncoded);
    ASSERT_TRUE(redirect);
    ASSERT_EQ(redirect->status, 302);
    const std::string location = redirect->header("Location");
    ASSERT_EQ(location.rfind("/static/files_cache/show/ep%201.mp3?expires=", 0), 0u) << location;
    const auto exp_at = location.find("expires=") + 8;
    const std::int64_t expires = std::stoll(location.substr(exp_at, location.find('&') - exp_at));
    EXPECT_GE(expires, before + 600);
    EXPECT_LE(expires, unix_now() + 600);
    auto followed = http_get(port(), location);
    ASSERT_TRUE(followed);
    EXPECT_EQ(followed->status, 200);
    EXPECT_TRUE(followed->body == content_);
}

TEST_F(SignedLinks, TheCommandLinesLinkWorks) {
    const auto r = ct_test::run_cache_tier(
        {"url", kName, "--server", base(), "--sign", "--secret-file", secret_file(), "--ttl", "120"});
    ASSERT_EQ(r.status, 0) << r.err;
    ASSERT_FALSE(r.out.empty());
    const std::string link = target_of(r.out.substr(0, r.out.size() - 1), base());
    auto got = http_get(port(), link);
    ASSERT_TRUE(got);
    EXPECT_EQ(got->status, 200) << link;
    EXPECT_TRUE(got->body == content_);
}

TEST_F(SignedLinks, ABadSecretFileStopsTheServerWithOneLine) {
    ct_test::TempDir dir;
    ct_test::write_file(dir / "short", "short\n");
    for (const auto& [file, needle] : std::vector<std::pair<std::string, std::string>>{
             {(dir / "short").string(), "at least 16"}, {(dir / "absent").string(), "No such file"}}) {
        const auto r = ct_test::run_cache_tier(
            {"serve", "--listen", "127.0.0.1:0", "--cache-dir", dir.path().string(), "--url-signing-secret-file", file});
        EXPECT_EQ(r.status, 2);
        EXPECT_NE(r.err.find(file), std::string::npos) << r.err;
        EXPECT_NE(r.err.find(needle), std::string::npos) << r.err;
    }
    // A TTL of 0 (a link dead on arrival) from the flag or the config file.
    ct_test::write_file(dir / "config.json", R"({"url_signing_ttl": 0})");
    for (const auto& args : std::vector<std::vector<std::string>>{{"--url-signing-ttl", "0"},
                                                                  {"--config", (dir / "config.json").string()}}) {
        std::vector<std::string> argv{"serve", "--listen", "127.0.0.1:0", "--cache-dir", dir.path().string()};
        argv.insert(argv.end(), args.begin(), args.end());
        const auto r = ct_test::run_cache_tier(argv);
        EXPECT_EQ(r.status, 2);
        EXPECT_NE(r.err.find("url_signing_ttl"), std::string::npos) << r.err;
    }
}

// In the config file, the secret file's path is relative to the config file's folder.
TEST(SignedLinksConfig, TheSecretFileIsFoundRelativeToTheConfigFile) {
    ct_test::TempDir dir;
    std::filesystem::create_directories(dir / "cache");
    ct_test::write_file(dir / "keys/secret", std::string(kSecret) + "\n");
    ct_test::write_file(dir / "config.json", R"({"url_signing_secret_file": "keys/secret", "cache_dir": "cache"})");
    const int port = ct_test::free_port();
    ct_test::CacheTierProcess server({"serve", "--config", (dir / "config.json").string(), "--listen",
                                      "127.0.0.1:" + std::to_string(port)});
    ASSERT_TRUE(server.wait_listening(port));
    auto refused = http_get(port, "/static/files_cache/a.mp3");
    ASSERT_TRUE(refused);
    EXPECT_EQ(refused->status, 403);
    cache_tier::ClientOptions options;
    options.url_signing_secret = kSecret;
    const std::string base = "http://127.0.0.1:" + std::to_string(port);
    auto absent = http_get(port, target_of(cache_tier::Client(base, options).build_download_url("a.mp3"), base));
    ASSERT_TRUE(absent);
    EXPECT_EQ(absent->status, 404);  // signed, not cached
}

// A file still being filled is streamed on a signed link only, like a cached one.
TEST(SignedLinksWhileFilling, AFillingFileIsStreamedOnlyOnASignedLink) {
    ct_test::TempDir origin, cache, keys;
    const std::string body = ct_test::random_bytes(8 << 20, 17);
    ct_test::write_file(origin / "Big.mp3", body);
    ct_test::write_file(keys / "secret", kSecret);
    // 4 MB/s: the fill lasts about two seconds.
    ct_test::Nginx nginx(fill_it::world_readable(origin.path()), "    limit_rate 4m;\n");
    ct_test::CacheTierServer server(
        cache.path(), {"--origin", nginx.base_url(), "--url-signing-secret-file", (keys / "secret").string()});

    auto download = http_get(server.port(), "/download/Big.mp3");
    ASSERT_TRUE(download);
    ASSERT_EQ(download->status, 302) << fill_it::server_log(server);
    const std::string location = download->header("Location");
    EXPECT_EQ(location.rfind("/static/files_cache/big.mp3?expires=", 0), 0u) << location;
    auto verify = http_get(server.port(), "/verify/Big.mp3");
    ASSERT_TRUE(verify);
    EXPECT_NE(verify->body.find("\"filling\":true"), std::string::npos) << verify->body;

    auto refused = http_get(server.port(), "/static/files_cache/big.mp3");
    ASSERT_TRUE(refused);
    EXPECT_EQ(refused->status, 403);
    ct_test::Connection connection(server.port());
    ASSERT_TRUE(connection.send(ct_test::make_request("GET", location)));
    auto streamed = connection.read_response(false, 60s);
    ASSERT_TRUE(streamed);
    EXPECT_EQ(streamed->status, 200);
    EXPECT_TRUE(streamed->body == body);
}

}  // namespace
