// HeaderScanner: the same verdict, at the same byte, however the request is
// split into reads (RFC 9112 §2.2 framing).
#include "server/header_scanner.hpp"

#include <gtest/gtest.h>

#include <string>

namespace cache_tier::server {
namespace {

constexpr HeaderLimits kLimits{/*max_request_line=*/32, /*max_header_bytes=*/64};

struct Verdict {
    HeaderScan scan = HeaderScan::need_more;
    std::size_t at = 0;  // bytes received when it was reached
};

// Feeds `bytes` in reads of `step` bytes, as a connection would, until a verdict.
Verdict scan_in_steps(const std::string& bytes, std::size_t step, HeaderScanner& scanner) {
    for (std::size_t received = std::min(step, bytes.size());; received = std::min(received + step, bytes.size())) {
        HeaderScan scan = scanner.scan(std::string_view(bytes).substr(0, received));
        if (scan != HeaderScan::need_more || received == bytes.size()) return {scan, received};
    }
}

// The verdict a byte at a time, checking that reads of every other size agree on it.
Verdict scan_every_way(const std::string& bytes) {
    HeaderScanner whole(kLimits);
    Verdict expected = scan_in_steps(bytes, bytes.size(), whole);
    Verdict bytewise;
    for (std::size_t step = 1; step < bytes.size(); ++step) {
        HeaderScanner scanner(kLimits);
        Verdict split = scan_in_steps(bytes, step, scanner);
        EXPECT_EQ(split.scan, expected.scan) << "in reads of " << step << " bytes";
        if (split.scan == HeaderScan::complete) {
            EXPECT_EQ(scanner.request_start(), whole.request_start()) << "in reads of " << step << " bytes";
            EXPECT_EQ(scanner.header_end(), whole.header_end()) << "in reads of " << step << " bytes";
        }
        if (step == 1) bytewise = split;
    }
    return bytes.size() > 1 ? bytewise : expected;
}

TEST(HeaderScanner, FindsTheEndOfAHeaderHoweverItIsSplit) {
    const std::string request = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    HeaderScanner scanner(kLimits);
    EXPECT_EQ(scanner.scan(request + "GET /next"), HeaderScan::complete);
    EXPECT_EQ(scanner.request_start(), 0u);
    EXPECT_EQ(scanner.header_end(), request.size());
    EXPECT_EQ(scan_every_way(request).scan, HeaderScan::complete);
}

TEST(HeaderScanner, SkipsEmptyLinesBeforeTheRequestLine) {
    const std::string request = "\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n";
    HeaderScanner scanner(kLimits);
    ASSERT_EQ(scanner.scan(request), HeaderScan::complete);
    EXPECT_EQ(scanner.request_start(), 4u);
    EXPECT_EQ(scanner.header_end(), request.size());
    EXPECT_EQ(scan_every_way(request).scan, HeaderScan::complete);
}

TEST(HeaderScanner, ACrAtTheEndOfWhatArrivedWaitsForTheNextByte) {
    HeaderScanner scanner(kLimits);
    EXPECT_EQ(scanner.scan("\r"), HeaderScan::need_more);
    EXPECT_EQ(scanner.scan("\r\nGET / HTTP/1.1\r"), HeaderScan::need_more);
    EXPECT_EQ(scanner.scan("\r\nGET / HTTP/1.1\r\nHost: x\r\n\r"), HeaderScan::need_more);
    EXPECT_EQ(scanner.scan("\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n"), HeaderScan::complete);
    EXPECT_EQ(scanner.request_start(), 2u);
}

TEST(HeaderScanner, ABareLfOrBareCrIsRefusedAsSoonAsItArrives) {
    for (const std::string bad : {"GET / HTTP/1.1\n", "GET / HTTP/1.1\r\nHost: x\n", "GET / HTTP/1.1\r\nHost: x\r\n\n",
                                  "\n", "\r\n\n", "GET / HTTP/1.1\rX", "GET /\r ", "\rX",
                                  "GET / HTTP/1.1\r\nHost: x\r\n\rX"}) {
        SCOPED_TRACE(testing::PrintToString(bad));
        Verdict verdict = scan_every_way(bad);
        EXPECT_EQ(verdict.scan, HeaderScan::bad_line_ending);
        EXPECT_EQ(verdict.at, bad.size()) << "not refused at the byte that made it bad";
    }
}

// RFC 9112 §5.2: a field line that starts with whitespace continues the one
// before (obs-fold); a server must reject it or unfold it, and two parsers
// that choose differently read two different requests. Refused at its first byte.
TEST(HeaderScanner, ObsoleteLineFoldingIsRefusedAtTheFirstByteOfTheFoldedLine) {
    for (const std::string bad : {"GET / HTTP/1.1\r\nHost: x\r\n ", "GET / HTTP/1.1\r\nHost: x\r\n\t",
                                  "GET / HTTP/1.1\r\n ", "\r\nGET / HTTP/1.1\r\nX: a\r\n\t"}) {
        SCOPED_TRACE(testing::PrintToString(bad));
        Verdict verdict = scan_every_way(bad);
        EXPECT_EQ(verdict.scan, HeaderScan::obsolete_line_folding);
        EXPECT_EQ(verdict.at, bad.size()) << "not refused at the byte that made it bad";
    }
    // Whitespace inside a field value, or in the request line, is no folding.
    EXPECT_EQ(scan_every_way("GET / HTTP/1.1\r\nX:  a \t b\r\n\r\n").scan, HeaderScan::complete);
}

TEST(HeaderScanner, ARequestLineOverTheLimitGets414WhetherOrNotItsEndHasCome) {
    const std::string at_limit = "GET /" + std::string(32 - 14, 'a') + " HTTP/1.1";
    ASSERT_EQ(at_limit.size(), 32u);
    EXPECT_EQ(scan_every_way(at_limit + "\r\nHost: x\r\n\r\n").scan, HeaderScan::complete);
    EXPECT_EQ(scan_every_way("\r\n" + at_limit + "\r\nHost: x\r\n\r\n").scan, HeaderScan::complete);

    const std::string over = "GET /" + std::string(32 - 13, 'a') + " HTTP/1.1";
    EXPECT_EQ(scan_every_way(over + "\r\nHost: x\r\n\r\n").scan, HeaderScan::request_line_too_long);
    EXPECT_EQ(scan_every_way("\r\n" + over + "\r\n").scan, HeaderScan::request_line_too_long);
    // Unfinished: known as soon as the line passes the limit; a last CR may still end it.
    EXPECT_EQ(scan_every_way(over).scan, HeaderScan::request_line_too_long);
    HeaderScanner scanner(kLimits);
    EXPECT_EQ(scanner.scan(at_limit + "\r"), HeaderScan::need_more);
}

TEST(HeaderScanner, AHeaderOverTheLimitGets431WhetherOrNotItsEndHasCome) {
    const std::string start = "GET / HTTP/1.1\r\nHost: x\r\n";  // 25 bytes
    const std::string at_limit = start + "X: " + std::string(64 - 25 - 7, 'v') + "\r\n\r\n";
    ASSERT_EQ(at_limit.size(), 64u);
    EXPECT_EQ(scan_every_way(at_limit).scan, HeaderScan::complete);
    EXPECT_EQ(scan_every_way("\r\n" + at_limit).scan, HeaderScan::header_too_large) << "empty lines count";
    EXPECT_EQ(scan_every_way(start + "X: " + std::string(64, 'v')).scan, HeaderScan::header_too_large);
    EXPECT_EQ(scan_every_way(std::string(70, 'G')).scan, HeaderScan::request_line_too_long) << "414 before 431";
}

TEST(HeaderScanner, ResetStartsAfreshForTheNextRequest) {
    HeaderScanner scanner(kLimits);
    const std::string first = "\r\nGET /a HTTP/1.1\r\nHost: x\r\n\r\n";
    ASSERT_EQ(scanner.scan(first), HeaderScan::complete);
    scanner.reset();
    const std::string second = "GET /b HTTP/1.1\r\nHost: x\r\n\r\n";
    ASSERT_EQ(scanner.scan(second), HeaderScan::complete);
    EXPECT_EQ(scanner.request_start(), 0u);
    EXPECT_EQ(scanner.header_end(), second.size());
}

}  // namespace
}  // namespace cache_tier::server
