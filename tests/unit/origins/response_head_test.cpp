// whole_file_length: from a response head alone, is the body the whole,
// unencoded file, and how long? Heads are built from raw lines, as curl hands
// them over.
#include <gtest/gtest.h>

#include <initializer_list>
#include <string>

#include "origins/response_head.hpp"

namespace {

using cache_tier::origins::detail::add_field;
using cache_tier::origins::detail::parse_status_line;
using cache_tier::origins::detail::ResponseHead;
using cache_tier::origins::detail::may_be_the_named_file;
using cache_tier::origins::detail::may_store;
using cache_tier::origins::detail::whole_file_length;

ResponseHead head_of(std::initializer_list<std::string> lines) {
    auto line = lines.begin();
    ResponseHead head = parse_status_line(*line + "\r\n");
    for (++line; line != lines.end(); ++line) add_field(head, *line + "\r\n");
    return head;
}

// The refusal's message, or "" when the head is the whole file.
std::string refusal(const ResponseHead& head) {
    auto length = whole_file_length(head);
    return length ? "" : length.error().message;
}

TEST(ResponseHead, StatusLineAndFieldsAreParsed) {
    ResponseHead head = head_of({"HTTP/1.1 206 Partial Content", "etag:  \"abc\" ", "Last-Modified: Tue, 01 Dec 2026",
                                 "content-length: 5", "Content-Encoding: gzip", "X-Other: 1"});
    EXPECT_EQ(head.status, 206);
    EXPECT_EQ(head.reason, "Partial Content");
    EXPECT_EQ(head.etag, "\"abc\"");
    EXPECT_EQ(head.last_modified, "Tue, 01 Dec 2026");
    EXPECT_EQ(head.content_length, std::vector<std::string>{"5"});
    EXPECT_EQ(head.content_encoding, std::vector<std::string>{"gzip"});
    EXPECT_EQ(parse_status_line("HTTP/2 200 \r\n").reason, "");  // HTTP/2 has no reason phrase
}

TEST(WholeFile, A200IsTheFileWithItsLength) {
    auto length = whole_file_length(head_of({"HTTP/1.1 200 OK", "Content-Length: 1234"}));
    ASSERT_TRUE(length) << length.error().message;
    EXPECT_EQ(*length, 1234u);
}

TEST(WholeFile, A200WithoutLengthIsTheFileEndedByChunkingOrClose) {
    auto chunked = whole_file_length(head_of({"HTTP/1.1 200 OK", "Transfer-Encoding: chunked"}));
    ASSERT_TRUE(chunked);
    EXPECT_FALSE(*chunked);
    auto closed = whole_file_length(head_of({"HTTP/1.0 200 OK"}));
    ASSERT_TRUE(closed);
    EXPECT_FALSE(*closed);
}

// RFC 9110 §15.3: only a 200 is the file as it is, whole.
class OtherSuccess : public ::testing::TestWithParam<std::string> {};

TEST_P(OtherSuccess, IsNotTheFile) {
    EXPECT_EQ(refusal(head_of({"HTTP/1.1 " + GetParam(), "Content-Length: 10"})),
              "origin answered " + GetParam() + "; only a 200 with the whole file is cached");
}

INSTANTIATE_TEST_SUITE_P(WholeFile, OtherSuccess,
                         ::testing::Values("201 Created", "202 Accepted", "203 Non-Authoritative Information",
                                           "204 No Content", "205 Reset Content", "206 Partial Content",
                                           "226 IM Used"));

TEST(WholeFile, StatusWithoutReasonIsNamedByNumber) {
    EXPECT_EQ(refusal(head_of({"HTTP/2 206"})), "origin answered 206; only a 200 with the whole file is cached");
}

TEST(WholeFile, A200WithContentRangeIsAPart) {
    EXPECT_EQ(refusal(head_of({"HTTP/1.1 200 OK", "Content-Range: bytes 0-9/20", "Content-Length: 10"})),
              "origin answered 200 with Content-Range: bytes 0-9/20; a part of the file is not the file");
}

TEST(WholeFile, ContentEncodingIsRefused) {
    EXPECT_EQ(refusal(head_of({"HTTP/1.1 200 OK", "Content-Encoding: gzip", "Content-Length: 10"})),
              "origin sent the file with Content-Encoding: gzip; cache-tier stores files only as they are, unencoded");
    EXPECT_NE(refusal(head_of({"HTTP/1.1 200 OK", "Content-Encoding: identity, br"})), "");
    EXPECT_NE(refusal(head_of({"HTTP/1.1 200 OK", "Content-Encoding: GZIP,identity"})), "");
    // Two lines are one list (RFC 9110 §5.3).
    EXPECT_EQ(refusal(head_of({"HTTP/1.1 200 OK", "Content-Encoding: identity", "Content-Encoding: deflate"})),
              "origin sent the file with Content-Encoding: identity, deflate; cache-tier stores files only as they "
              "are, unencoded");
}

// RFC 9110 §8.4: identity is no coding at all.
TEST(WholeFile, IdentityOrAnEmptyListIsNoEncoding) {
    EXPECT_EQ(refusal(head_of({"HTTP/1.1 200 OK", "Content-Encoding: identity"})), "");
    EXPECT_EQ(refusal(head_of({"HTTP/1.1 200 OK", "Content-Encoding: Identity , ,identity"})), "");
    EXPECT_EQ(refusal(head_of({"HTTP/1.1 200 OK", "Content-Encoding: "})), "");
}

// RFC 9110 §8.6: a list of one value repeated is that value.
TEST(WholeFile, RepeatedIdenticalLengthsAreOneLength) {
    for (const auto& head : {head_of({"HTTP/1.1 200 OK", "Content-Length: 10, 10"}),
                             head_of({"HTTP/1.1 200 OK", "Content-Length: 10", "Content-Length: 10"})}) {
        auto length = whole_file_length(head);
        ASSERT_TRUE(length) << length.error().message;
        EXPECT_EQ(*length, 10u);
    }
}

// RFC 9112 §6.3: conflicting or malformed lengths are invalid framing.
TEST(WholeFile, ConflictingLengthsAreInvalidFraming) {
    EXPECT_EQ(refusal(head_of({"HTTP/1.1 200 OK", "Content-Length: 10, 20"})),
              "origin sent conflicting Content-Length values (10, 20): invalid framing (RFC 9112 §6.3)");
    EXPECT_EQ(refusal(head_of({"HTTP/1.1 200 OK", "Content-Length: 20", "Content-Length: 10"})),
              "origin sent conflicting Content-Length values (20, 10): invalid framing (RFC 9112 §6.3)");
}

TEST(WholeFile, MalformedLengthsAreInvalidFraming) {
    for (const char* value : {"abc", "+10", "-1", "10 bytes", "0x10", "99999999999999999999999", "10, x"})
        EXPECT_EQ(refusal(head_of({"HTTP/1.1 200 OK", std::string("Content-Length: ") + value})),
                  std::string("origin sent an invalid Content-Length (") + value +
                      "): invalid framing (RFC 9112 §6.3)");
    EXPECT_EQ(refusal(head_of({"HTTP/1.1 200 OK", "Content-Length: "})),
              "origin sent an empty Content-Length: invalid framing (RFC 9112 §6.3)");
}

TEST(WholeFile, LengthWithTransferEncodingIsInvalidFraming) {
    EXPECT_EQ(refusal(head_of({"HTTP/1.1 200 OK", "Content-Length: 10", "Transfer-Encoding: chunked"})),
              "origin sent both Content-Length and Transfer-Encoding: invalid framing (RFC 9112 §6.3)");
}

// RFC 9111 §3: a shared cache keeps nothing marked no-store or (unqualified) private.
TEST(MayStore, NoStoreAndPrivateAreRefusedWhateverTheCaseOrPlace) {
    for (const char* value : {"no-store", "NO-STORE", "max-age=60, no-store", "private", "public, Private"}) {
        auto status = may_store(head_of({"HTTP/1.1 200 OK", std::string("Cache-Control: ") + value}));
        ASSERT_FALSE(status.ok()) << value;
        EXPECT_EQ(status.error().message, std::string("origin marks the file Cache-Control: ") + value +
                                              "; a shared cache may not keep it (RFC 9111 §3)");
    }
    // Directives on separate lines are one list (RFC 9110 §5.3).
    EXPECT_FALSE(may_store(head_of({"HTTP/1.1 200 OK", "Cache-Control: max-age=60", "Cache-Control: no-store"})).ok());
}

TEST(MayStore, OtherDirectivesAndPrivateFieldsAreStorable) {
    for (const char* value : {"public, max-age=86400", "no-cache", "private=\"Set-Cookie\"", "s-maxage=0", ""}) {
        EXPECT_TRUE(may_store(head_of({"HTTP/1.1 200 OK", std::string("Cache-Control: ") + value})).ok()) << value;
    }
    EXPECT_TRUE(may_store(head_of({"HTTP/1.1 200 OK"})).ok());
}

// A misconfigured proxy's or CDN's error page, answered 200: refused when the
// name's extension says the file is something else.
TEST(NamedFile, AnHtmlPageForANonHtmlExtensionIsRefused) {
    const ResponseHead html = head_of({"HTTP/1.1 200 OK", "Content-Type: text/html; charset=utf-8"});
    for (const char* key : {"ep.mp3", "Show/Video.MP4", "a.zip", "dir.html/a.m4a"}) {
        auto verdict = may_be_the_named_file(html, key);
        ASSERT_FALSE(verdict) << key;
        EXPECT_NE(verdict.error().message.find("an HTML page, most likely an error page, is not the file"),
                  std::string::npos);
    }
    EXPECT_EQ(may_be_the_named_file(html, "ep.mp3").error().message,
              "origin answered 200 with Content-Type: text/html; charset=utf-8 for a .mp3 file (audio/mpeg): an "
              "HTML page, most likely an error page, is not the file");
    EXPECT_FALSE(may_be_the_named_file(head_of({"HTTP/1.1 200 OK", "content-type:  TEXT/HTML "}), "a.mp4"));
}

TEST(NamedFile, HtmlForAnHtmlOrUnknownNameAndOtherTypesAreNotJudged) {
    const ResponseHead html = head_of({"HTTP/1.1 200 OK", "Content-Type: text/html"});
    for (const char* key : {"index.html", "INDEX.HTM", "file.bin", "noextension", "a.mp3/b"})
        EXPECT_TRUE(may_be_the_named_file(html, key)) << key;
    for (const char* type : {"text/plain", "application/octet-stream", "audio/mpeg", "text/htmlx", ""})
        EXPECT_TRUE(may_be_the_named_file(head_of({"HTTP/1.1 200 OK", std::string("Content-Type: ") + type}), "a.mp3"))
            << type;
    EXPECT_TRUE(may_be_the_named_file(head_of({"HTTP/1.1 200 OK"}), "a.mp3"));
}

}  // namespace
