// Nothing outside the cache directory is ever served, and nothing a client
// sends comes back raw in a response header (issue 2, point 4). Every form of
// traversal goes over a real socket to the real binary.
#include <gtest/gtest.h>
#include <unistd.h>

#include "support/http_client.hpp"
#include "support/process.hpp"
#include "support/serve_helpers.hpp"

namespace ct_test {
namespace {

const std::string kSecret = "TOP-SECRET-OUTSIDE-THE-CACHE";
const std::string kSecretDir = "SECRET-IN-AN-OUTSIDE-FOLDER";
const std::string kPartial = "PARTIAL-FILL-BYTES";
const std::string kMeta = "METADATA-BYTES";

// root/secret.txt and root/outside/ are outside; root/cache is the cache directory.
class ServeSecurity : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        root_ = new TempDir;
        const fs::path cache = root_->path() / "cache";
        write_file(cache / "ok.txt", "fine to serve");
        write_file(cache / "sub/inner.txt", "inner file");
        write_file(root_->path() / "secret.txt", kSecret);
        write_file(root_->path() / "outside/secret2.txt", kSecretDir);
        write_file(cache / ".cache-tier/tmp/fill.mp3", kPartial);
        write_file(cache / ".cache-tier/meta/ok.txt", kMeta);
        fs::create_symlink("../secret.txt", cache / "link.txt");
        fs::create_symlink(root_->path() / "secret.txt", cache / "abs_link.txt");
        fs::create_symlink(root_->path() / "outside", cache / "dirlink");
        fs::create_symlink("../../outside", cache / "sub/deeplink");
        server_ = new CacheTierServer(cache);
    }
    static void TearDownTestSuite() {
        delete server_;
        delete root_;
    }
    void TearDown() override {
        EXPECT_TRUE(server_->process().running()) << "server died; stderr:\n" << server_->process().stderr_text();
    }
    static int port() { return server_->port(); }

    // Send `target` as the request-target, raw; the answer must refuse it and leak nothing.
    static void expect_refused(const std::string& target) {
        auto ex = raw_exchange(port(), "GET " + target + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 3s);
        const std::string& got = ex.received;
        ASSERT_FALSE(got.empty()) << target << ": no response at all";
        int status = got.size() >= 12 ? std::atoi(got.c_str() + 9) : 0;
        EXPECT_TRUE(status == 400 || status == 403 || status == 404)
            << target << " gave " << got.substr(0, got.find("\r\n"));
        for (auto& marker : {kSecret, kSecretDir, kPartial, kMeta, std::string("root:x:0:0")})
            EXPECT_EQ(got.find(marker), std::string::npos) << target << " leaked " << marker;
    }

    static TempDir* root_;
    static CacheTierServer* server_;
};
TempDir* ServeSecurity::root_ = nullptr;
CacheTierServer* ServeSecurity::server_ = nullptr;

TEST_F(ServeSecurity, ControlFileIsServed) {
    // The refusals below mean something only if a plain name works.
    auto r = http_get(port(), static_url("ok.txt"));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, "fine to serve");
}

class ServeSecurityTarget : public ServeSecurity, public ::testing::WithParamInterface<std::pair<std::string, std::string>> {};

TEST_P(ServeSecurityTarget, IsRefusedWithoutLeaking) { expect_refused(GetParam().second); }

// {test name, raw request-target}
const std::vector<std::pair<std::string, std::string>> kTraversals = {
    {"dotdot", static_url("../secret.txt")},
    {"dotdot_twice", static_url("../../secret.txt")},
    {"dotdot_deep", static_url("sub/../../secret.txt")},
    {"dotdot_many", static_url("../../../../../../../../etc/passwd")},
    {"dotdot_encoded_slash", static_url("..%2fsecret.txt")},
    {"dotdot_encoded_slash_upper", static_url("..%2Fsecret.txt")},
    {"encoded_dots", static_url("%2e%2e/secret.txt")},
    {"encoded_dots_and_slash", static_url("%2e%2e%2fsecret.txt")},
    {"mixed_case_encoding", static_url("%2E%2e%2fsecret.txt")},
    {"encoded_from_prefix", "/static/files_cache%2f..%2f..%2fsecret.txt"},
    {"double_encoded", static_url("%252e%252e%252fsecret.txt")},
    {"double_encoded_dots", static_url("%252e%252e/secret.txt")},
    {"double_encoded_passwd", static_url("%252e%252e%252f%252e%252e%252f%252e%252e%252fetc%252fpasswd")},
    {"overlong_utf8_dots", static_url("%c0%ae%c0%ae/secret.txt")},
    {"overlong_utf8_slash", static_url("..%c0%afsecret.txt")},
    {"dot_segment", static_url("./../secret.txt")},
    {"nul_truncation", static_url("secret.txt%00.mp3")},
    {"nul_after_name", static_url("ok.txt%00")},
    {"nul_in_dotdot", static_url("..%00/secret.txt")},
    {"backslash", static_url("..\\secret.txt")},
    {"backslash_encoded", static_url("..%5csecret.txt")},
    {"backslash_encoded_upper", static_url("..%5Csecret.txt")},
    {"backslash_deep", static_url("sub\\..\\..\\secret.txt")},
    {"absolute_double_slash", static_url("/etc/passwd")},
    {"absolute_encoded", static_url("%2fetc%2fpasswd")},
    {"absolute_secret", static_url("%2f") + "tmp/../etc/passwd"},
    {"target_is_filesystem_path", "/etc/passwd"},
    {"target_without_slash", "etc/passwd"},
    {"absolute_form_traversal", "http://127.0.0.1/static/files_cache/../secret.txt"},
    {"symlink_to_outside_file", static_url("link.txt")},
    {"symlink_to_outside_file_upper", static_url("LINK.TXT")},
    {"symlink_absolute", static_url("abs_link.txt")},
    {"symlink_to_outside_dir", static_url("dirlink/secret2.txt")},
    {"symlink_deep_to_outside_dir", static_url("sub/deeplink/secret2.txt")},
    {"state_dir_temp_file", static_url(".cache-tier/tmp/fill.mp3")},
    {"state_dir_meta", static_url(".cache-tier/meta/ok.txt")},
    {"state_dir_upper", static_url(".Cache-Tier/TMP/fill.mp3")},
    {"state_dir_encoded", static_url("%2ecache-tier%2ftmp%2ffill.mp3")},
    {"state_dir_itself", static_url(".cache-tier/")},
    {"state_dir_via_dotdot", static_url("sub/../.cache-tier/tmp/fill.mp3")},
};

INSTANTIATE_TEST_SUITE_P(Traversal, ServeSecurityTarget, ::testing::ValuesIn(kTraversals),
                         [](const auto& info) { return info.param.first; });

TEST_F(ServeSecurity, AbsolutePathOfASecretIsRefused) {
    const std::string abs = (root_->path() / "secret.txt").string();  // "/tmp/cache-tier-test-.../secret.txt"
    expect_refused(static_url(abs));
    expect_refused(static_url(abs.substr(1)));
    expect_refused(abs);
}

TEST_F(ServeSecurity, HeadOfATraversalIsRefusedToo) {
    auto r = http_request(port(), "HEAD", static_url("%2e%2e/secret.txt"));
    ASSERT_TRUE(r);
    EXPECT_TRUE(r->status == 400 || r->status == 403 || r->status == 404) << r->status;
    EXPECT_NE(r->header("Content-Length"), std::to_string(kSecret.size()))
        << "HEAD tells the size of the secret file";
}

// ---- Nothing from the request comes back raw in a header ----------------------

// Every header line of a raw response: no control character other than HTAB,
// and no header the server never sends.
void expect_clean_headers(const std::string& raw, const std::string& what) {
    auto end = raw.find("\r\n\r\n");
    std::string head = raw.substr(0, end);
    for (std::size_t i = 0; i < head.size(); ++i) {
        unsigned char ch = static_cast<unsigned char>(head[i]);
        if (ch == '\r' && i + 1 < head.size() && head[i + 1] == '\n') {
            ++i;
            continue;
        }
        EXPECT_FALSE(ch < 0x20 && ch != '\t') << what << ": control byte " << int(ch) << " in the response head";
        EXPECT_NE(ch, 0x7f) << what;
    }
    std::string low = lower(head);
    for (auto injected : {"\r\nset-cookie:", "\r\nx-injected:", "\r\nlocation: http://evil"})
        EXPECT_EQ(low.find(injected), std::string::npos) << what << ": injected header reached the response";
}

TEST_F(ServeSecurity, EncodedCrlfInTheTargetIsNotReflectedInHeaders) {
    for (auto name : {"x%0d%0aSet-Cookie:%20evil=1", "ok.txt%0d%0aX-Injected:%201", "sub%0d%0aLocation:%20http://evil/",
                      "sub%0aX-Injected:%201", "x%0dX-Injected:%201"}) {
        for (auto method : {"GET", "HEAD"}) {
            auto ex = raw_exchange(port(),
                                   std::string(method) + " " + static_url(name) +
                                       " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                                   3s);
            ASSERT_FALSE(ex.received.empty()) << name;
            expect_clean_headers(ex.received, name);
        }
    }
    // A directory name (some servers redirect "dir" to "dir/" and echo the path).
    auto ex = raw_exchange(port(), "GET " + static_url("sub%0d%0aX-Injected:%201/..") +
                                       " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    expect_clean_headers(ex.received, "directory with CRLF");
}

TEST_F(ServeSecurity, ControlCharactersInRequestHeadersAreNeverReflected) {
    const std::vector<std::string> values = {
        "evil\x01host", "a\x1b[31mred", "del\x7f", "tab\there", "x\rX-Injected: 1", "<script>alert(1)</script>",
    };
    for (auto& v : values) {
        for (auto field : {"Host", "Referer", "User-Agent"}) {
            std::string request = "GET / HTTP/1.1\r\n";
            if (std::string(field) != "Host") request += "Host: 127.0.0.1\r\n";
            request += std::string(field) + ": " + v + "\r\nConnection: close\r\n\r\n";
            auto ex = raw_exchange(port(), request, 3s);
            ASSERT_FALSE(ex.received.empty()) << field << ": " << v << " got no answer";
            expect_clean_headers(ex.received, std::string(field) + " " + v);
            EXPECT_EQ(ex.received.find("<script>alert(1)</script>"), std::string::npos)
                << field << " reflected raw into the index page";
        }
    }
    auto after = http_get(port(), static_url("ok.txt"));
    ASSERT_TRUE(after);
    EXPECT_EQ(after->status, 200);
}

}  // namespace
}  // namespace ct_test
