// /download's redirects against hostile names (issue 12): whatever the name,
// the Location is either the local copy under the configured prefix or a URL
// under the configured origin base, never another host (open redirect), and
// nothing of the name reaches a header raw (CR/LF/NUL injection). Names that
// look like URLs are names, nothing more.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "support/http_client.hpp"
#include "support/reliability_result.hpp"
#include "support/process.hpp"
#include "support/serve_helpers.hpp"

namespace ct_test {
namespace {

class SecurityRedirect : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        cache_ = new TempDir;
        write_file(cache_->path() / "cached.mp3", "cached bytes");
        // Nothing listens on the origin's port: no name is ever cached, every
        // miss goes to the origin at once (--stream-misses false).
        origin_base_ = "http://127.0.0.1:" + std::to_string(free_port()) + "/podcasts";
        server_ = new CacheTierServer(cache_->path(), {"--origin", origin_base_, "--stream-misses", "false",
                                                       "--public-base-url", "https://files.example.org"});
    }
    static void TearDownTestSuite() {
        delete server_;
        delete cache_;
    }
    void TearDown() override {
        EXPECT_TRUE(server_->process().running()) << "server died; stderr:\n" << server_->process().stderr_text();
    }

    static inline TempDir* cache_ = nullptr;
    static inline CacheTierServer* server_ = nullptr;
    static inline std::string origin_base_;
};

// The head of a raw response: no control byte but CRLF line ends, and no
// header line the server never sends.
void expect_clean_head(const std::string& raw, const std::string& what) {
    const std::string head = raw.substr(0, raw.find("\r\n\r\n"));
    for (std::size_t i = 0; i < head.size(); ++i) {
        const auto ch = static_cast<unsigned char>(head[i]);
        if (ch == '\r' && i + 1 < head.size() && head[i + 1] == '\n') {
            ++i;
            continue;
        }
        EXPECT_FALSE(ch < 0x20 || ch == 0x7f) << what << ": control byte " << int(ch) << " in the response head";
    }
    const std::string low = lower(head);
    for (auto injected : {"\r\nset-cookie:", "\r\nx-injected:", "\r\nrefresh:"})
        EXPECT_EQ(low.find(injected), std::string::npos) << what << ": injected header reached the response";
    EXPECT_EQ(count_lines_containing(low, "location:"), low.find("location:") == std::string::npos ? 0 : 1) << what;
}

// A Location for a name: under the origin base, one segment path after it,
// nothing that a browser would read as another authority, query or fragment.
void expect_under(const std::string& location, const std::string& base, const std::string& what) {
    ASSERT_TRUE(location.starts_with(base + "/")) << what << " redirected to " << location;
    const std::string rest = location.substr(base.size() + 1);
    EXPECT_FALSE(rest.empty()) << what;
    EXPECT_FALSE(rest.starts_with("/")) << what << ": " << location;
    for (char c : rest) {
        const auto ch = static_cast<unsigned char>(c);
        EXPECT_TRUE(ch > 0x20 && ch < 0x7f) << what << ": raw byte " << int(ch) << " in " << location;
        EXPECT_TRUE(c != '\\' && c != '?' && c != '#' && c != '"') << what << ": raw '" << c << "' in " << location;
    }
}

// {test name, name as sent in the request-target after /download/}
const std::vector<std::pair<std::string, std::string>> kHostileNames = {
    {"protocol_relative", "/evil.example/x"},
    {"protocol_relative_three", "//evil.example/x"},
    {"absolute_url", "http://evil.example/x"},
    {"absolute_url_https", "https://evil.example/x.mp3"},
    {"absolute_url_encoded_slashes", "http:%2F%2Fevil.example%2Fx"},
    {"encoded_protocol_relative", "%2F%2Fevil.example%2Fx"},
    {"encoded_protocol_relative_lower", "%2f%2fevil.example"},
    {"double_encoded_slashes", "%252F%252Fevil.example"},
    {"userinfo", "@evil.example"},
    {"userinfo_path", "@evil.example/x.mp3"},
    {"userinfo_encoded", "%40evil.example"},
    {"userinfo_after_colon", "x:y@evil.example/z"},
    {"backslashes", "\\\\evil.example\\x"},
    {"backslashes_encoded", "%5C%5Cevil.example%5Cx"},
    {"slash_backslash", "/\\evil.example"},
    {"dotdot_to_the_origin_root", "..%2F..%2F@evil.example"},
    {"encoded_dotdot", "%2e%2e/%2e%2e/evil.example"},
    {"overlong_utf8_dotdot", "%c0%ae%c0%ae/%c0%ae%c0%ae/evil.example"},
    {"overlong_utf8_slash", "%c0%af%c0%afevil.example"},
    {"query", "x.mp3%3Fredirect=http://evil.example"},
    {"fragment", "x.mp3%23@evil.example"},
    {"scheme_only", "javascript:alert(1)"},
    {"crlf_location", "x%0d%0aLocation:%20http://evil.example/"},
    {"crlf_set_cookie", "x.mp3%0d%0aSet-Cookie:%20a=1"},
    {"lf_only", "x.mp3%0aX-Injected:%201"},
    {"cr_only", "x.mp3%0dX-Injected:%201"},
    {"nul", "x.mp3%00evil"},
    {"tab", "%09//evil.example"},
    {"del", "x%7f.mp3"},
    {"space", "%20//evil.example"},
    {"quote", "x%22.mp3"},
    {"unicode_line_separator", "x%E2%80%A8X-Injected:%201"},
    {"fullwidth_solidus", "%EF%BC%8F%EF%BC%8Fevil.example"},
};

class SecurityRedirectName : public SecurityRedirect,
                             public ::testing::WithParamInterface<std::pair<std::string, std::string>> {};

TEST_P(SecurityRedirectName, NeverLeavesTheOriginBaseNorReachesAHeaderRaw) {
    const auto& [what, name] = GetParam();
    std::string outcome;
    for (const std::string& prefix : {std::string("/download/"), std::string("/verify/")}) {
        auto ex = raw_exchange(server_->port(),
                               "GET " + prefix + name + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 3s);
        ASSERT_GE(ex.received.size(), 12u) << prefix << what << ": no answer";
        expect_clean_head(ex.received, prefix + what);
        const int status = std::atoi(ex.received.c_str() + 9);
        if (prefix == "/verify/") {
            // A JSON answer, whatever the name: the name is escaped inside it.
            EXPECT_TRUE(status == 200 || status == 400) << what << ": " << status;
            auto body = ex.received.substr(ex.received.find("\r\n\r\n") + 4);
            EXPECT_FALSE(nlohmann::json::parse(body, nullptr, false).is_discarded()) << what << ": " << body;
            continue;
        }
        if (status != 302) {
            EXPECT_TRUE(status == 400 || status == 404 || status == 502) << what << ": " << status;
            outcome = "refused with " + std::to_string(status);
            continue;
        }
        auto r = http_get(server_->port(), "/download/" + name);
        ASSERT_TRUE(r && r->status == 302) << what;
        expect_under(r->header("Location"), origin_base_, what);
        outcome = "302 to " + r->header("Location").substr(origin_base_.size());
    }
    write_reliability_result({.case_name = "redirect-" + what,
                              .category = "security",
                              .measured = "/download of the name " + name,
                              .value = std::nullopt,
                              .unit = "",
                              .target = "refused, or a Location under the origin base; no header injected",
                              .passed = !HasFailure(),
                              .details = outcome + " (origin base <origin>/podcasts)"});
}

INSTANTIATE_TEST_SUITE_P(Names, SecurityRedirectName, ::testing::ValuesIn(kHostileNames),
                         [](const auto& info) { return info.param.first; });

// The redirect to a cached copy uses the configured public base, never the
// Host a client sends, nor the authority of an absolute-form target.
TEST_F(SecurityRedirect, TheLocalRedirectIgnoresTheClientsHost) {
    for (const std::string& request :
         {std::string("GET /download/cached.mp3 HTTP/1.1\r\nHost: evil.example\r\n\r\n"),
          std::string("GET http://evil.example/download/cached.mp3 HTTP/1.1\r\nHost: evil.example\r\n\r\n"),
          std::string("GET /download/cached.mp3 HTTP/1.1\r\nHost: x\r\nX-Forwarded-Host: evil.example\r\n"
                      "Forwarded: host=evil.example\r\n\r\n")}) {
        Connection c(server_->port());
        ASSERT_TRUE(c.send(request));
        auto r = c.read_response();
        ASSERT_TRUE(r) << request;
        EXPECT_EQ(r->status, 302) << request;
        EXPECT_EQ(r->header("Location"), "https://files.example.org/static/files_cache/cached.mp3") << request;
    }
}

// Control: an ordinary miss goes to the origin, under its base, encoded.
TEST_F(SecurityRedirect, AnOrdinaryMissGoesToTheOriginEncoded) {
    auto r = http_get(server_->port(), "/download/Show/Ep%201%3F.mp3");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 302);
    EXPECT_EQ(r->header("Location"), origin_base_ + "/Show/Ep%201%3F.mp3");
}

}  // namespace
}  // namespace ct_test
