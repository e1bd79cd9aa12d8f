// Signed links against hostile shapes (issue 12, later surfaces): with
// url_signing_secret_file set, a file is served only on a genuine, unexpired
// signature of its own name. An attacker holding one valid link for a.mp3
// tries to stretch it: another file, a later expiry, re-encoded parameters,
// duplicates, padding, a traversal. Each shape gets 403 (or a refusal of the
// name) and never the file's bytes. signed_links_test holds the links that
// work; each case here writes its row of the reliability report.
#include <gtest/gtest.h>

#include <chrono>

#include "signing/signed_link.hpp"
#include "support/http_client.hpp"
#include "support/process.hpp"
#include "support/reliability_result.hpp"
#include "support/serve_helpers.hpp"

namespace ct_test {
namespace {

constexpr char kSecret[] = "a secret of thirty-two bytes....";
constexpr char kPrefix[] = "/static/files_cache/";
const std::string kBody = "A-MP3-BYTES-ONLY-ON-A-SIGNED-LINK";

std::int64_t unix_now() {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// "expires=E&signature=S" for `name` (decoded) valid until `expires`, signed with `secret`.
std::string query_for(const std::string& name, std::int64_t expires, const std::string& secret = kSecret) {
    return cache_tier::signing::link_query(secret, cache_tier::signing::signed_path(kPrefix, name), expires);
}

std::string param(const std::string& query, const std::string& key) {
    const auto at = query.find(key + "=") + key.size() + 1;
    return query.substr(at, query.find('&', at) - at);
}

class SecuritySignedLinks : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        dir_ = new TempDir;
        write_file(dir_->path() / "cache/a.mp3", kBody);
        write_file(dir_->path() / "cache/b.mp3", kBody + "-B");
        write_file(dir_->path() / "secret", std::string(kSecret) + "\n");
        server_ = new CacheTierServer(dir_->path() / "cache",
                                      {"--url-signing-secret-file", (dir_->path() / "secret").string()});
    }
    static void TearDownTestSuite() {
        delete server_;
        delete dir_;
    }
    void TearDown() override {
        EXPECT_TRUE(server_->process().running()) << server_->process().stderr_text();
        if (row_.case_name.empty()) return;
        row_.category = "security";
        row_.passed = !HasFailure();
        write_reliability_result(row_);
    }

    // `target` is refused (403 with `reason` in the body, or a refused name)
    // and neither file's bytes come back, for GET and HEAD.
    void expect_refused(const std::string& what, const std::string& target, const std::string& reason) {
        int status = 0;
        for (const char* method : {"GET", "HEAD"}) {
            auto r = http_request(server_->port(), method, target);
            ASSERT_TRUE(r) << target;
            status = r->status;
            EXPECT_TRUE(r->status == 403 || (reason.empty() && (r->status == 400 || r->status == 404)))
                << method << ' ' << target << ": " << r->status;
            EXPECT_EQ(r->body.find(kBody), std::string::npos) << target << " served the file";
            EXPECT_EQ(r->body.find(kSecret), std::string::npos);
            if (std::string(method) == "GET" && !reason.empty())
                EXPECT_NE(r->body.find(reason), std::string::npos) << target << ": " << r->body;
            EXPECT_NE(r->header("Content-Length"), std::to_string(kBody.size())) << method << ' ' << target;
        }
        ++shapes_;
        row_ = {.case_name = "signed-link-" + what,
                .measured = "status of GET and HEAD (the last shape's)",
                .value = status,
                .unit = "status",
                .target = reason.empty() ? "refused, file not served" : "403 \"" + reason + "\", file not served",
                .details = std::to_string(shapes_) + " shape(s) of a link stretched from one valid link to a.mp3"};
    }

    static inline TempDir* dir_ = nullptr;
    static inline CacheTierServer* server_ = nullptr;
    ReliabilityResult row_;
    int shapes_ = 0;
};

// The control: the attacker's one valid link works, so the refusals below
// are about the shapes, not a broken setup.
TEST_F(SecuritySignedLinks, TheGenuineLinkIsServed) {
    auto r = http_get(server_->port(), std::string(kPrefix) + "a.mp3?" + query_for("a.mp3", unix_now() + 600));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, kBody);
}

TEST_F(SecuritySignedLinks, NoSignature) { expect_refused("none", std::string(kPrefix) + "a.mp3", "needs a signed link"); }

TEST_F(SecuritySignedLinks, Expired) {
    expect_refused("expired", std::string(kPrefix) + "a.mp3?" + query_for("a.mp3", unix_now() - 5), "expired");
}

TEST_F(SecuritySignedLinks, AnotherFilesSignature) {
    expect_refused("other-file", std::string(kPrefix) + "b.mp3?" + query_for("a.mp3", unix_now() + 600),
                   "does not match");
}

TEST_F(SecuritySignedLinks, ALaterExpiry) {
    const std::string q = query_for("a.mp3", unix_now() + 600);
    expect_refused("later-expiry",
                   std::string(kPrefix) + "a.mp3?expires=" + std::to_string(unix_now() + 86400 * 365) +
                       "&signature=" + param(q, "signature"),
                   "does not match");
}

TEST_F(SecuritySignedLinks, AnotherSecret) {
    expect_refused("other-secret",
                   std::string(kPrefix) + "a.mp3?" + query_for("a.mp3", unix_now() + 600, "another secret, 32 bytes long.."),
                   "does not match");
}

TEST_F(SecuritySignedLinks, ExpiryWithALeadingZeroOrSign) {
    const std::int64_t expires = unix_now() + 600;
    const std::string sig = param(query_for("a.mp3", expires), "signature");
    for (const std::string& e : {"0" + std::to_string(expires), "+" + std::to_string(expires), std::string("-1"),
                                 std::string("99999999999999999999"), std::to_string(expires) + ".0"})
        expect_refused("expiry-not-canonical", std::string(kPrefix) + "a.mp3?expires=" + e + "&signature=" + sig, "");
}

TEST_F(SecuritySignedLinks, SignatureReencoded) {
    const std::string q = query_for("a.mp3", unix_now() + 600);
    const std::string e = param(q, "expires"), sig = param(q, "signature");
    std::string percent;  // every character percent-encoded: the value is not decoded
    for (unsigned char c : sig) percent += "%" + std::string(1, "0123456789ABCDEF"[c >> 4]) + "0123456789ABCDEF"[c & 15];
    for (const std::string& s : {sig + "=", sig + "%3D", percent, sig.substr(0, 42), sig + "A"})
        expect_refused("signature-reencoded", std::string(kPrefix) + "a.mp3?expires=" + e + "&signature=" + s, "");
}

TEST_F(SecuritySignedLinks, DuplicateParameters) {
    const std::string good = query_for("a.mp3", unix_now() + 600);
    const std::string other = query_for("b.mp3", unix_now() + 600);
    expect_refused("duplicate-parameters", std::string(kPrefix) + "a.mp3?" + other + "&" + good, "more than once");
    expect_refused("duplicate-parameters", std::string(kPrefix) + "a.mp3?" + good + "&" + other, "more than once");
    expect_refused("duplicate-parameters",
                   std::string(kPrefix) + "a.mp3?" + good + "&signature=" + param(good, "signature"), "more than once");
}

TEST_F(SecuritySignedLinks, ParameterNamesInAnotherCase) {
    std::string q = query_for("a.mp3", unix_now() + 600);
    q.replace(q.find("signature="), 10, "Signature=");
    expect_refused("parameter-case", std::string(kPrefix) + "a.mp3?" + q, "");
}

TEST_F(SecuritySignedLinks, TraversalWithAGenuineQuery) {
    const std::string q = query_for("a.mp3", unix_now() + 600);
    for (const std::string& path : {std::string("b.mp3/..%2fa.mp3"), std::string("x/../a.mp3"),
                                    std::string("%2e%2e/cache/a.mp3"), std::string("a.mp3%00.txt")})
        expect_refused("traversal-with-genuine-query", std::string(kPrefix) + path + "?" + q, "");
}

}  // namespace
}  // namespace ct_test
