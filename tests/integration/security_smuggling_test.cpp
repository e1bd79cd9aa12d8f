// Request smuggling shapes against the real binary (issue 12): every request
// whose framing two HTTP parsers could read differently is refused as RFC 9112
// says, and a request hidden in its body is never answered. Each case sends
// the ambiguous request followed by a second, smuggled one that would fetch a
// file: a server that read the framing the other way would answer it.
#include <gtest/gtest.h>

#include "support/http_client.hpp"
#include "support/reliability_result.hpp"
#include "support/process.hpp"
#include "support/serve_helpers.hpp"

namespace ct_test {
namespace {

const std::string kHead = "GET " + static_url("a.txt") + " HTTP/1.1\r\nHost: x\r\n";
// What a smuggler hides after the framing: answered only if it was taken for a request.
const std::string kSmuggled = "GET " + static_url("smuggled.txt") + " HTTP/1.1\r\nHost: x\r\n\r\n";
const std::string kSmuggledBody = "SMUGGLED-REQUEST-ANSWERED";

struct SmugglingCase {
    std::string name;
    std::string bytes;
    std::string rule;  // the RFC's words, for the failure message
};

void PrintTo(const SmugglingCase& c, std::ostream* os) { *os << c.name; }

class SecuritySmuggling : public ::testing::TestWithParam<SmugglingCase> {
protected:
    static void SetUpTestSuite() {
        cache_ = new TempDir;
        write_file(cache_->path() / "a.txt", "alpha");
        write_file(cache_->path() / "smuggled.txt", kSmuggledBody);
        server_ = new CacheTierServer(cache_->path());
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
};

int count_responses(const std::string& received) {
    int n = 0;
    for (auto at = received.find("HTTP/1.1 "); at != std::string::npos; at = received.find("HTTP/1.1 ", at + 1)) ++n;
    return n;
}

TEST_P(SecuritySmuggling, IsRefusedWith400AndTheConnectionCloses) {
    const auto& c = GetParam();
    auto ex = raw_exchange(server_->port(), c.bytes + kSmuggled, 3s);
    EXPECT_EQ(ex.received.substr(0, 12), "HTTP/1.1 400") << c.rule << "\ngot:\n" << ex.received.substr(0, 200);
    EXPECT_TRUE(ex.closed_by_server) << "connection left open after " << c.name;
    EXPECT_EQ(count_responses(ex.received), 1) << "more than one answer to one ambiguous request";
    EXPECT_EQ(ex.received.find(kSmuggledBody), std::string::npos) << "the smuggled request was answered";
    write_reliability_result({.case_name = "smuggling-" + c.name,
                              .category = "security",
                              .measured = "status, then the connection and the request hidden after it",
                              .value = ex.received.size() >= 12 ? std::atoi(ex.received.c_str() + 9) : 0,
                              .unit = "status",
                              .target = "400, closed, smuggled request unanswered",
                              .passed = !HasFailure(),
                              .details = c.rule});
}

INSTANTIATE_TEST_SUITE_P(
    Rfc9112, SecuritySmuggling,
    ::testing::Values(
        SmugglingCase{"content_length_then_transfer_encoding",
                      kHead + "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
                      "§6.1: a server MAY reject CL with TE, and MUST close after responding; we reject, as nginx"},
        SmugglingCase{"transfer_encoding_then_content_length",
                      kHead + "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n", "§6.1"},
        SmugglingCase{"two_different_content_lengths",
                      kHead + "Content-Length: 0\r\nContent-Length: " + std::to_string(kSmuggled.size()) + "\r\n\r\n",
                      "§6.3 (5): an invalid Content-Length MUST get 400 and a close"},
        SmugglingCase{"content_length_list_of_two_values",
                      kHead + "Content-Length: 0, " + std::to_string(kSmuggled.size()) + "\r\n\r\n", "§6.3 (5)"},
        SmugglingCase{"content_length_with_a_sign", kHead + "Content-Length: +0\r\n\r\n", "RFC 9110 §8.6: 1*DIGIT"},
        SmugglingCase{"obs_fold_with_a_space", kHead + "X-Folded: a\r\n b\r\n\r\n",
                      "§5.2: obs-fold MUST be rejected with 400 or replaced by SP; we reject"},
        SmugglingCase{"obs_fold_with_a_tab", kHead + "X-Folded: a\r\n\tb\r\n\r\n", "§5.2"},
        SmugglingCase{"obs_fold_of_content_length", kHead + "Content-Length:\r\n 0\r\n\r\n", "§5.2"},
        SmugglingCase{"obs_fold_of_transfer_encoding",
                      kHead + "Transfer-Encoding: identity\r\n chunked\r\n\r\n0\r\n\r\n", "§5.2"},
        SmugglingCase{"bare_lf_line_endings", "GET " + static_url("a.txt") + " HTTP/1.1\nHost: x\n\n",
                      "§2.2: a bare LF MAY be taken as a line end; we refuse it"},
        SmugglingCase{"bare_lf_before_content_length",
                      kHead + "X-A: 1\nContent-Length: " + std::to_string(kSmuggled.size()) + "\r\n\r\n", "§2.2"},
        SmugglingCase{"space_before_the_colon", kHead + "Content-Length : 0\r\n\r\n",
                      "§5.1: whitespace between field name and colon MUST get 400"},
        SmugglingCase{"tab_before_the_colon", kHead + "Transfer-Encoding\t: chunked\r\n\r\n0\r\n\r\n", "§5.1"},
        SmugglingCase{"space_before_the_colon_of_host", "GET " + static_url("a.txt") + " HTTP/1.1\r\nHost : x\r\n\r\n",
                      "§5.1"},
        SmugglingCase{"chunked_not_last", kHead + "Transfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n",
                      "§6.3 (4): chunked not the final coding MUST get 400 and a close"},
        SmugglingCase{"transfer_encoding_twice",
                      kHead + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
                      "§6.3 (4): chunked applied twice (RFC 9112 §7: MUST NOT) is not chunked last once"},
        SmugglingCase{"unknown_transfer_coding", kHead + "Transfer-Encoding: xchunked\r\n\r\n0\r\n\r\n",
                      "§6.1: an unknown transfer coding SHOULD get 501; nginx and we answer 400"},
        SmugglingCase{"whitespace_before_the_first_field", "GET " + static_url("a.txt") + " HTTP/1.1\r\n Host: x\r\n\r\n",
                      "§2.2: whitespace between the start-line and the first field MUST be rejected or skipped"}),
    [](const auto& info) { return info.param.name; });

// §6.1: Transfer-Encoding in HTTP/1.0 means faulty framing: the server MUST
// close the connection after processing the message; nothing after it is read.
TEST_F(SecuritySmuggling, TransferEncodingInHttp10ClosesTheConnection) {
    auto ex = raw_exchange(server_->port(),
                           "GET " + static_url("a.txt") + " HTTP/1.0\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" +
                               "0\r\n\r\n" + kSmuggled,
                           3s);
    ASSERT_FALSE(ex.received.empty());
    EXPECT_TRUE(ex.closed_by_server);
    EXPECT_EQ(count_responses(ex.received), 1);
    EXPECT_EQ(ex.received.find(kSmuggledBody), std::string::npos) << "the smuggled request was answered";
}

// RFC 9110 §8.6: one length repeated is that length; the control for the
// refusals above, and the request after it on the same connection is answered.
TEST_F(SecuritySmuggling, ARepeatedEqualContentLengthIsThatLength) {
    Connection c(server_->port());
    ASSERT_TRUE(c.send(kHead + "Content-Length: 3, 3\r\n\r\nabc" + make_request("GET", static_url("a.txt"))));
    auto first = c.read_response();
    ASSERT_TRUE(first);
    EXPECT_EQ(first->status, 200);
    EXPECT_EQ(first->body, "alpha");
}

}  // namespace
}  // namespace ct_test
