// The one status table: reason phrases, and the status lines built from the
// same entries (RFC 9110 §15, RFC 9112 §4).
#include "http/status.hpp"

#include <gtest/gtest.h>

#include <ostream>
#include <string>

namespace cache_tier::http {
namespace {

struct ReasonCase {
    int status;
    std::string reason;
};

void PrintTo(const ReasonCase& c, std::ostream* os) { *os << c.status; }

class ReasonTest : public ::testing::TestWithParam<ReasonCase> {};

TEST_P(ReasonTest, KnowsPhrase) { EXPECT_EQ(reason_phrase(GetParam().status), GetParam().reason); }

INSTANTIATE_TEST_SUITE_P(
    Codes, ReasonTest,
    ::testing::Values(ReasonCase{200, "OK"}, ReasonCase{206, "Partial Content"}, ReasonCase{301, "Moved Permanently"},
                      ReasonCase{302, "Found"}, ReasonCase{304, "Not Modified"}, ReasonCase{400, "Bad Request"},
                      ReasonCase{403, "Forbidden"}, ReasonCase{404, "Not Found"},
                      ReasonCase{405, "Method Not Allowed"}, ReasonCase{408, "Request Timeout"},
                      ReasonCase{412, "Precondition Failed"}, ReasonCase{413, "Content Too Large"},
                      ReasonCase{414, "URI Too Long"}, ReasonCase{416, "Range Not Satisfiable"},
                      ReasonCase{431, "Request Header Fields Too Large"},
                      ReasonCase{500, "Internal Server Error"}, ReasonCase{501, "Not Implemented"},
                      ReasonCase{502, "Bad Gateway"}, ReasonCase{503, "Service Unavailable"},
                      ReasonCase{504, "Gateway Timeout"}, ReasonCase{0, "Unknown"}, ReasonCase{299, "Unknown"},
                      ReasonCase{-1, "Unknown"}, ReasonCase{1000, "Unknown"}),
    [](const auto& info) { return std::to_string(info.index) + "_" + std::to_string(info.param.status < 0 ? 0 : info.param.status); });

TEST(StatusLine, KnownCodesGiveTheirWholeLine) {
    for (int status : {200, 206, 302, 304, 404, 416, 431, 500, 503}) {
        std::string line;
        append_status_line(line, status);
        EXPECT_EQ(line, "HTTP/1.1 " + std::to_string(status) + " " + std::string(reason_phrase(status)) + "\r\n");
    }
}

TEST(StatusLine, EveryCodeAgreesWithItsReasonPhrase) {
    for (int status = 0; status < 1000; ++status) {
        std::string line = "kept|";
        append_status_line(line, status);
        EXPECT_EQ(line, "kept|HTTP/1.1 " + std::to_string(status) + " " + std::string(reason_phrase(status)) + "\r\n")
            << status;
    }
}

TEST(StatusLine, UnknownCodeSaysUnknown) {
    std::string line;
    append_status_line(line, 299);
    EXPECT_EQ(line, "HTTP/1.1 299 Unknown\r\n");
}

}  // namespace
}  // namespace cache_tier::http
