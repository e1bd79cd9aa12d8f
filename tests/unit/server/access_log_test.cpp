// The access log: nginx's "combined" line built from what the connection
// passes, escaped the way nginx escapes, and written to a file that SIGHUP's
// reopen() can rotate.
#include "server/access_log.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "support/process.hpp"

namespace cache_tier::server {
namespace {

constexpr std::string_view kTime = "06/Nov/1994:08:49:37 +0000";

http::Request get(std::string_view target) {
    http::Request req;
    req.method = http::Method::get;
    req.method_name = "GET";
    req.target = target;
    return req;
}

std::string line_for(const AccessEntry& entry) {
    std::string out = "kept|";
    append_combined_line(out, entry);
    EXPECT_TRUE(out.starts_with("kept|")) << "the line is appended";
    return out.substr(5);
}

TEST(CombinedLine, NamesTheRequestItsAnswerAndTheClient) {
    http::Request req = get("/static/files_cache/a.mp3?x=1");
    req.referer = "https://example.com/page";
    req.user_agent = "curl/8.0";
    EXPECT_EQ(line_for({"10.0.0.1", kTime, &req, 206, 100}),
              "10.0.0.1 - - [06/Nov/1994:08:49:37 +0000] \"GET /static/files_cache/a.mp3?x=1 HTTP/1.1\" 206 100 "
              "\"https://example.com/page\" \"curl/8.0\"\n");
}

TEST(CombinedLine, SaysTheVersionAndDashesForMissingFields) {
    http::Request req = get("/");
    req.version = 10;
    EXPECT_EQ(line_for({"::1", kTime, &req, 200, 0}),
              "::1 - - [06/Nov/1994:08:49:37 +0000] \"GET / HTTP/1.0\" 200 0 \"-\" \"-\"\n");
}

TEST(CombinedLine, ARequestLineThatDidNotParseIsADash) {
    const std::string expected = "10.0.0.1 - - [06/Nov/1994:08:49:37 +0000] \"-\" 400 33 \"-\" \"-\"\n";
    EXPECT_EQ(line_for({"10.0.0.1", kTime, nullptr, 400, 33}), expected);
    const http::Request unparsed;  // the parser began, but no method was read
    EXPECT_EQ(line_for({"10.0.0.1", kTime, &unparsed, 400, 33}), expected);
}

TEST(CombinedLine, EscapesWhatCouldForgeALine) {
    http::Request req = get("/a\"b\\c");
    req.user_agent = "evil\n10.0.0.2 - - [x] \"GET / HTTP/1.1\" 200 0";
    req.referer = "caf\xc3\xa9";
    const std::string line = line_for({"10.0.0.1", kTime, &req, 404, 0});
    EXPECT_NE(line.find("\"GET /a\\x22b\\x5Cc HTTP/1.1\""), std::string::npos) << line;
    EXPECT_NE(line.find("\"caf\\xC3\\xA9\""), std::string::npos) << line;
    EXPECT_NE(line.find("\"evil\\x0A10.0.0.2"), std::string::npos) << line;
    EXPECT_EQ(line.find('\n'), line.size() - 1) << "one line per request";
}

TEST(AccessLogFile, AppendsLinesAndReopensAfterRotation) {
    ct_test::TempDir dir;
    const auto path = dir / "access.log";
    AccessLog log(path.string());
    const http::Request req = get("/");
    log.write({"10.0.0.1", kTime, &req, 200, 5});
    std::filesystem::rename(path, dir / "access.log.1");
    log.write({"10.0.0.1", kTime, &req, 200, 6});  // still into the renamed file
    ASSERT_TRUE(log.reopen());
    log.write({"10.0.0.1", kTime, &req, 200, 7});

    const std::string rotated = ct_test::read_file(dir / "access.log.1");
    EXPECT_EQ(ct_test::count_lines_containing(rotated, "\"GET / HTTP/1.1\" 200"), 2) << rotated;
    EXPECT_NE(rotated.find(" 200 6 "), std::string::npos) << rotated;
    EXPECT_EQ(ct_test::read_file(path),
              "10.0.0.1 - - [06/Nov/1994:08:49:37 +0000] \"GET / HTTP/1.1\" 200 7 \"-\" \"-\"\n");
}

TEST(AccessLogFile, AnUnopenableFileSaysWhy) {
    try {
        AccessLog log("/nonexistent-dir/access.log");
        FAIL() << "opened";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("/nonexistent-dir/access.log"), std::string::npos) << e.what();
    }
}

}  // namespace
}  // namespace cache_tier::server
