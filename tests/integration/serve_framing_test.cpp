// Request framing across reads (RFC 9112 §2.2), over real sockets against the
// real binary: wherever TCP splits a request, the server must reach the same
// verdict as when it arrives in one piece, and at once: empty lines before a
// request are ignored, a too-long request line gets 414, and bare LF or bare CR
// line endings get 400 instead of silence until the header timeout.
#include <gtest/gtest.h>

#include <string_view>
#include <thread>

#include "support/http_client.hpp"
#include "support/process.hpp"
#include "support/serve_helpers.hpp"

namespace ct_test {
namespace {

// Long enough that an answer only by timeout cannot pass for an answer at once.
constexpr auto kPrompt = 1500ms;

class ServeFraming : public ::testing::Test {
protected:
    void SetUp() override {
        write_file(cache_ / "a.txt", "alpha");
        write_file(cache_ / "b.txt", "bravo!");
        // max_request_line below max_header_bytes, so the two limits can be told apart;
        // a header timeout far above kPrompt.
        write_file(conf_ / "config.json", R"({"max_request_line": 256, "header_timeout": 10})");
        server_ = std::make_unique<CacheTierServer>(cache_.path(),
                                                    std::vector<std::string>{"--config", (conf_ / "config.json").string()});
    }
    int port() const { return server_->port(); }

    TempDir cache_;
    TempDir conf_;
    std::unique_ptr<CacheTierServer> server_;
};

// Each byte in its own write (the client sets TCP_NODELAY), with a pause so
// the server's reads see them apart.
bool send_bytewise(Connection& c, std::string_view bytes) {
    for (char byte : bytes) {
        if (!c.send(std::string(1, byte))) return false;
        std::this_thread::sleep_for(1ms);
    }
    return true;
}

// The request's bytes in one write, or one byte per write.
enum class Split { none, every_byte };

void send_split(Connection& c, std::string_view bytes, Split split) {
    if (split == Split::none)
        c.send(std::string(bytes));
    else
        send_bytewise(c, bytes);  // the server may close before the last byte: that is allowed
}

std::string split_name(Split split) { return split == Split::none ? "in one write" : "one byte per write"; }

TEST_F(ServeFraming, AnEmptyLineBeforeARequestIsIgnoredWhenItsCrAndLfArriveApart) {
    Connection c(port());
    ASSERT_TRUE(c.send("\r"));
    std::this_thread::sleep_for(50ms);
    ASSERT_TRUE(c.send("\n" + make_request("GET", static_url("a.txt"))));
    auto r = c.read_response(false, kPrompt);
    ASSERT_TRUE(r) << "no answer to a request after an empty line split between CR and LF";
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, "alpha");
}

TEST_F(ServeFraming, AnEmptyLineBetweenPipelinedRequestsIsIgnoredAcrossReads) {
    Connection c(port());
    ASSERT_TRUE(c.send(make_request("GET", static_url("a.txt")) + "\r"));
    std::this_thread::sleep_for(50ms);
    ASSERT_TRUE(c.send("\n" + make_request("GET", static_url("b.txt"))));
    for (const char* expected : {"alpha", "bravo!"}) {
        auto r = c.read_response(false, kPrompt);
        ASSERT_TRUE(r) << "no answer for " << expected;
        EXPECT_EQ(r->status, 200);
        EXPECT_EQ(r->body, expected);
    }
}

TEST_F(ServeFraming, PipelinedRequestsWithEmptyLinesSentOneByteAtATimeAreServed) {
    Connection c(port());
    ASSERT_TRUE(send_bytewise(c, "\r\n" + make_request("GET", static_url("a.txt")) + "\r\n\r\n" +
                                     make_request("HEAD", static_url("b.txt"))));
    auto first = c.read_response(false, kPrompt);
    ASSERT_TRUE(first);
    EXPECT_EQ(first->status, 200);
    EXPECT_EQ(first->body, "alpha");
    auto second = c.read_response(/*head=*/true, kPrompt);
    ASSERT_TRUE(second);
    EXPECT_EQ(second->status, 200);
    EXPECT_EQ(second->header("Content-Length"), "6");
}

TEST_F(ServeFraming, ATooLongRequestLineGets414HoweverItArrives) {
    // 300 bytes of target against max_request_line 256, well within max_header_bytes.
    const std::string target = static_url("a.txt") + "?" + std::string(300, 'q');
    const std::string whole = make_request("GET", target);
    const std::string with_empty_line = "\r\n" + whole;
    struct Way {
        const std::string* request;
        Split split;
        std::string name;
    };
    for (const Way& way : {Way{&whole, Split::none, "in one write with its header"},
                           Way{&with_empty_line, Split::none, "after an empty line, in one write"},
                           Way{&with_empty_line, Split::every_byte, "after an empty line, one byte per write"}}) {
        SCOPED_TRACE(way.name);
        Connection c(port());
        send_split(c, *way.request, way.split);
        auto r = c.read_response(false, kPrompt);
        ASSERT_TRUE(r) << "no answer to a 300-byte request line";
        EXPECT_EQ(r->status, 414);
        EXPECT_TRUE(c.wait_closed(3s));
    }
    // Just the start of the line, a byte at a time: 414 as soon as it passes the limit.
    Connection c(port());
    send_bytewise(c, whole.substr(0, 270));
    auto r = c.read_response(false, kPrompt);
    ASSERT_TRUE(r) << "no answer to an unfinished 300-byte request line";
    EXPECT_EQ(r->status, 414);
}

TEST_F(ServeFraming, ARequestLineAtTheLimitIsServed) {
    // "GET " + target + " HTTP/1.1" is exactly 256 bytes.
    const std::string prefix = static_url("a.txt") + "?";
    const std::string target = prefix + std::string(256 - 4 - 9 - prefix.size(), 'q');
    for (Split split : {Split::none, Split::every_byte}) {
        SCOPED_TRACE(split_name(split));
        Connection c(port());
        send_split(c, make_request("GET", target), split);
        auto r = c.read_response(false, kPrompt);
        ASSERT_TRUE(r);
        EXPECT_EQ(r->status, 200);
    }
}

struct FramingCase {
    std::string name;
    std::string bytes;  // what the client sends, and then nothing more
};

void PrintTo(const FramingCase& c, std::ostream* os) { *os << c.name; }

class ServeFramingBadLineEnding : public ServeFraming, public ::testing::WithParamInterface<FramingCase> {};

// RFC 9112 §2.2: we choose to reject a bare LF as a line ending, and a CR must
// be followed by LF. Either is known bad as soon as it arrives.
TEST_P(ServeFramingBadLineEnding, Gets400AtOnceAndTheConnectionCloses) {
    for (Split split : {Split::none, Split::every_byte}) {
        SCOPED_TRACE(split_name(split));
        Connection c(port());
        send_split(c, GetParam().bytes, split);
        auto r = c.read_response(false, kPrompt);
        ASSERT_TRUE(r) << "no answer within " << kPrompt.count() << " ms";
        EXPECT_EQ(r->status, 400);
        EXPECT_TRUE(c.wait_closed(3s));
    }
}

INSTANTIATE_TEST_SUITE_P(
    Requests, ServeFramingBadLineEnding,
    ::testing::Values(FramingCase{"bare_lf_everywhere", "GET /static/files_cache/a.txt HTTP/1.1\nHost: x\n\n"},
                      FramingCase{"bare_lf_after_the_fields", "GET / HTTP/1.1\r\nHost: x\r\n\n"},
                      FramingCase{"bare_lf_ends_the_request_line", "GET / HTTP/1.1\n"},
                      FramingCase{"bare_lf_as_an_empty_line_first", "\nGET / HTTP/1.1\r\nHost: x\r\n\r\n"},
                      FramingCase{"lone_cr_in_the_request_line", "GET / HTTP/1.1\rX"},
                      FramingCase{"lone_cr_before_the_end", "GET / HTTP/1.1\r\nHost: x\r\n\rX"},
                      FramingCase{"lone_cr_as_an_empty_line_first", "\rGET / HTTP/1.1\r\nHost: x\r\n\r\n"}),
    [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace ct_test
