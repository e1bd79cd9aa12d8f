// Response helpers: the one error shape, escaping, OpenFile.
#include "http/response.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <ostream>
#include <string>

namespace cache_tier::http {
namespace {

struct ErrorCase {
    int status;
    std::string message;
    std::string body;
};

void PrintTo(const ErrorCase& c, std::ostream* os) { *os << c.status << " " << c.message; }

class ErrorResponseTest : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(ErrorResponseTest, SameShapeForEveryError) {
    const ErrorCase& c = GetParam();
    Response out;
    out.body = "previous body";
    out.file_offset = 5;
    out.file_length = 10;
    error_response(out, c.status, c.message);
    EXPECT_EQ(out.status, c.status);
    EXPECT_EQ(out.headers(), "Content-Type: text/plain; charset=utf-8\r\n");
    EXPECT_EQ(out.body, c.body);
    EXPECT_EQ(out.file, nullptr);
    EXPECT_EQ(out.content_length(), c.body.size());
}

INSTANTIATE_TEST_SUITE_P(
    Errors, ErrorResponseTest,
    ::testing::Values(ErrorCase{400, "name contains '..'", "400 Bad Request: name contains '..'\n"},
                      ErrorCase{404, "not cached", "404 Not Found: not cached\n"},
                      ErrorCase{416, "range", "416 Range Not Satisfiable: range\n"},
                      ErrorCase{503, "busy", "503 Service Unavailable: busy\n"},
                      ErrorCase{404, "", "404 Not Found\n"}),
    [](const auto& info) { return std::to_string(info.index); });

TEST(ErrorResponse, KeepsHeadersAddedBefore) {
    Response out;
    out.add_header("Allow", "GET, HEAD");
    error_response(out, 405, "use GET or HEAD");
    EXPECT_EQ(out.headers(), "Allow: GET, HEAD\r\nContent-Type: text/plain; charset=utf-8\r\n");
    EXPECT_EQ(out.body, "405 Method Not Allowed: use GET or HEAD\n");
}

TEST(AddHeader, AppendsTheWireLine) {
    Response out;
    out.add_header("ETag", "\"5f2a-1000\"");
    out.add_header("Cache-Control", "public, max-age=86400");
    EXPECT_EQ(out.headers(), "ETag: \"5f2a-1000\"\r\nCache-Control: public, max-age=86400\r\n");
}

TEST(AddHeader, AnEmptyValueIsAllowed) {
    Response out;
    out.add_header("X-Empty", "");
    EXPECT_EQ(out.headers(), "X-Empty: \r\n");
}

TEST(AddHeader, EveryTokenCharacterMakesAName) {
    Response out;
    out.add_header("!#$%&'*+-.^_`|~09azAZ", "v");  // RFC 9110 §5.6.2 tchar
    EXPECT_EQ(out.headers(), "!#$%&'*+-.^_`|~09azAZ: v\r\n");
}

struct RefusedCase {
    std::string name;  // test name suffix
    std::string header_name;
    std::string value;
};

void PrintTo(const RefusedCase& c, std::ostream* os) { *os << c.name; }

class AddHeaderRefuses : public ::testing::TestWithParam<RefusedCase> {};

// RFC 9112 §5: whatever could end the line early never reaches the wire, and
// what was added before stays as it was.
TEST_P(AddHeaderRefuses, AndAddsNothing) {
    const RefusedCase& c = GetParam();
    Response out;
    out.add_header("Accept-Ranges", "bytes");
    EXPECT_THROW(out.add_header(c.header_name, c.value), RefusedHeader);
    EXPECT_EQ(out.headers(), "Accept-Ranges: bytes\r\n");
}

INSTANTIATE_TEST_SUITE_P(
    Headers, AddHeaderRefuses,
    ::testing::Values(RefusedCase{"CrLfInValue", "Location", "/a\r\nSet-Cookie: x=1"},
                      RefusedCase{"LfInValue", "Location", "/a\nSet-Cookie: x=1"},
                      RefusedCase{"CrInValue", "Location", "/a\rb"},
                      RefusedCase{"NulInValue", "Location", std::string("/a\0b", 4)},
                      RefusedCase{"DelInValue", "Location", "/a\x7f"},
                      RefusedCase{"TabInValue", "Location", "a\tb"},
                      RefusedCase{"CrLfInName", "X-A\r\nX-B", "v"},
                      RefusedCase{"ColonInName", "X-A:", "v"},
                      RefusedCase{"SpaceInName", "X A", "v"},
                      RefusedCase{"EmptyName", "", "v"}),
    [](const auto& info) { return info.param.name; });

TEST(AddHeader, TheRefusalNamesTheHeaderButNotTheValue) {
    Response out;
    try {
        out.add_header("Location", "/a\r\nSet-Cookie: x=1");
        FAIL() << "not refused";
    } catch (const RefusedHeader& e) {
        EXPECT_NE(std::string(e.what()).find("'Location'"), std::string::npos) << e.what();
        EXPECT_EQ(std::string(e.what()).find("Set-Cookie"), std::string::npos) << e.what();
    }
}

struct EscapeCase {
    std::string name;
    std::string input;
    std::string escaped;
};

void PrintTo(const EscapeCase& c, std::ostream* os) { *os << c.name; }

class EscapeTest : public ::testing::TestWithParam<EscapeCase> {};

TEST_P(EscapeTest, Escapes) { EXPECT_EQ(escape_header_value(GetParam().input), GetParam().escaped); }

INSTANTIATE_TEST_SUITE_P(
    Values, EscapeTest,
    ::testing::Values(EscapeCase{"Plain", "Show/Ep 1.mp3", "Show/Ep 1.mp3"}, EscapeCase{"Empty", "", ""},
                      EscapeCase{"HeaderSplitting", "a\r\nSet-Cookie: x", "a%0D%0ASet-Cookie: x"},
                      EscapeCase{"Nul", std::string("a\0b", 3), "a%00b"}, EscapeCase{"Del", "a\x7f", "a%7F"},
                      EscapeCase{"Tab", "a\tb", "a%09b"}, EscapeCase{"Html", "<script>&", "%3Cscript%3E%26"},
                      EscapeCase{"Quotes", "\"'", "%22%27"}, EscapeCase{"NonAscii", "caf\xc3\xa9", "caf%C3%A9"},
                      EscapeCase{"PercentItself", "100%", "100%25"}),
    [](const auto& info) { return info.param.name; });

TEST(OpenFile, DestructorClosesDescriptor) {
    int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    ASSERT_GE(fd, 0);
    {
        OpenFile file;
        file.fd.reset(fd);
    }
    errno = 0;
    EXPECT_EQ(::fcntl(fd, F_GETFD), -1);
    EXPECT_EQ(errno, EBADF);
}

TEST(OpenFile, DefaultDoesNotCloseAnything) {
    // A default OpenFile holds -1 and must not close a descriptor it does not own.
    int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    ASSERT_GE(fd, 0);
    { OpenFile file; }
    EXPECT_NE(::fcntl(fd, F_GETFD), -1);
    ::close(fd);
}

TEST(ResponseReset, BackToBlank200) {
    Response out;
    error_response(out, 500, "x");
    out.omit_body = true;
    out.close = true;
    out.reset();
    EXPECT_EQ(out.status, 200);
    EXPECT_TRUE(out.headers().empty());
    EXPECT_TRUE(out.body.empty());
    EXPECT_FALSE(out.omit_body);
    EXPECT_FALSE(out.close);
}

}  // namespace
}  // namespace cache_tier::http
