// HttpOrigin against Debian's nginx (what a well-behaved origin does) and
// against tests/fakes/misbehaving_origin.py (what a broken one does).
#include <gtest/gtest.h>

#include <set>

#include <atomic>
#include <sstream>
#include <thread>

#include "unit/origins/origin_test_support.hpp"

namespace {

using namespace origin_test;
using cache_tier::origins::make_origin;

class HttpOriginNginx : public ::testing::Test {
protected:
    HttpOriginNginx()
        // This server's own log (it replaces the default one): connection number and request line.
        : nginx_(root_.path(), "access_log " + (logs_.path() / "requests.log").string() + " requests;",
                 "log_format requests '$connection $request';") {
        readable_by_nginx_workers(root_.path());
        ct_test::write_file(root_ / "small.txt", "hello from nginx\n");
        ct_test::write_file(root_ / "big.bin", ct_test::random_bytes(3 << 20, 7));
        ct_test::write_file(root_ / "Show/Ep 1 caf\xc3\xa9+x.mp3", "episode one");
        origin_ = make_origin(options_for(nginx_.base_url() + "/"));
    }

    ct_test::TempDir root_;
    ct_test::TempDir logs_;
    ct_test::Nginx nginx_;
    std::unique_ptr<Origin> origin_;
};

TEST_F(HttpOriginNginx, FetchesTheBodyAndItsValidators) {
    Fetched got = fetch_to_file(*origin_, "big.bin");
    ASSERT_EQ(got.result.status, FetchStatus::ok) << got.result.message;
    EXPECT_EQ(got.result.http_status, 200);
    EXPECT_EQ(got.result.bytes, 3u << 20);
    EXPECT_TRUE(same_bytes(got.body, ct_test::read_file(root_ / "big.bin")));
    EXPECT_EQ(got.result.etag.front(), '"') << got.result.etag;  // quotes kept
    EXPECT_EQ(got.result.last_modified.size(), 29u) << got.result.last_modified;
}

TEST_F(HttpOriginNginx, EncodesNamesWithSpacesAndUtf8) {
    Fetched got = fetch_to_file(*origin_, "Show/Ep 1 caf\xc3\xa9+x.mp3");
    ASSERT_EQ(got.result.status, FetchStatus::ok) << got.result.message;
    EXPECT_EQ(got.body, "episode one");
    std::string log = ct_test::read_file(logs_ / "requests.log");
    EXPECT_NE(log.find(" GET /Show/Ep%201%20caf%C3%A9%2Bx.mp3 HTTP/1.1\n"), std::string::npos) << log;
}

TEST_F(HttpOriginNginx, MissingFileIsNotFound) {
    Fetched got = fetch_to_file(*origin_, "nope.bin");
    EXPECT_EQ(got.result.status, FetchStatus::not_found);
    EXPECT_EQ(got.result.http_status, 404);
    EXPECT_EQ(got.result.message, "origin answered 404 Not Found");
    EXPECT_EQ(got.body, "") << "an error page must not land in the file";
}

TEST_F(HttpOriginNginx, MatchingEtagIsNotModified) {
    Fetched first = fetch_to_file(*origin_, "small.txt");
    ASSERT_EQ(first.result.status, FetchStatus::ok);
    FetchRequest req;
    req.key = "small.txt";
    req.validators.etag = first.result.etag;
    Fetched again = fetch_to_file(*origin_, req);
    EXPECT_EQ(again.result.status, FetchStatus::not_modified) << again.result.message;
    EXPECT_EQ(again.result.http_status, 304);
    EXPECT_EQ(again.result.etag, first.result.etag);
    EXPECT_EQ(again.body, "");
}

TEST_F(HttpOriginNginx, MatchingLastModifiedIsNotModified) {
    Fetched first = fetch_to_file(*origin_, "small.txt");
    FetchRequest req;
    req.key = "small.txt";
    req.validators.last_modified = first.result.last_modified;
    EXPECT_EQ(fetch_to_file(*origin_, req).result.status, FetchStatus::not_modified);
}

TEST_F(HttpOriginNginx, ChangedFileIsFetchedAgain) {
    FetchRequest req;
    req.key = "small.txt";
    req.validators.etag = "\"0-0\"";
    req.validators.last_modified = "Thu, 01 Jan 1970 00:00:00 GMT";
    Fetched got = fetch_to_file(*origin_, req);
    EXPECT_EQ(got.result.status, FetchStatus::ok);
    EXPECT_EQ(got.body, "hello from nginx\n");
}

TEST_F(HttpOriginNginx, AnnouncedOversizeIsRefusedBeforeTheBody) {
    FetchRequest req;
    req.key = "big.bin";
    req.max_size = 1 << 20;
    Fetched got = fetch_to_file(*origin_, req);
    EXPECT_EQ(got.result.status, FetchStatus::too_large);
    EXPECT_EQ(got.result.bytes, 0u);
    EXPECT_EQ(got.result.message, "origin file is 3145728 bytes, over the limit of 1048576");
}

TEST_F(HttpOriginNginx, ExactlyMaxSizeIsAllowed) {
    FetchRequest req;
    req.key = "big.bin";
    req.max_size = 3 << 20;
    EXPECT_EQ(fetch_to_file(*origin_, req).result.status, FetchStatus::ok);
}

// Bytes an origin sends past a response's end must never be read as the next
// answer: every fetch has its own connection.
TEST_F(HttpOriginNginx, EachFetchHasItsOwnConnection) {
    for (int i = 0; i < 3; ++i) ASSERT_EQ(fetch_to_file(*origin_, "small.txt").result.status, FetchStatus::ok);
    std::string log = ct_test::read_file(logs_ / "requests.log");
    std::set<std::string> connections;
    std::istringstream lines(log);
    for (std::string line; std::getline(lines, line);) connections.insert(line.substr(0, line.find(' ')));
    EXPECT_EQ(connections.size(), 3u) << log;
}

TEST_F(HttpOriginNginx, WorkerThreadsFetchAtTheSameTime) {
    std::vector<std::thread> workers;
    std::atomic<int> ok{0};
    for (int t = 0; t < 4; ++t)
        workers.emplace_back([&] {
            for (int i = 0; i < 3; ++i) ok += fetch_to_file(*origin_, "big.bin").body.size() == (3u << 20);
        });
    for (auto& w : workers) w.join();
    EXPECT_EQ(ok.load(), 12);
}

// Only the file as it is may be cached: the origin is asked for no content coding.
TEST(HttpOrigin, AsksForTheFileUnencoded) {
    ct_test::TempDir root, logs;
    readable_by_nginx_workers(root.path());
    ct_test::write_file(root / "small.txt", "hello");
    ct_test::Nginx nginx(root.path(), "access_log " + (logs.path() / "encodings.log").string() + " encodings;",
                         "log_format encodings '$request [$http_accept_encoding]';");
    auto origin = make_origin(options_for(nginx.base_url()));
    ASSERT_EQ(fetch_to_file(*origin, "small.txt").result.status, FetchStatus::ok);
    EXPECT_EQ(ct_test::read_file(logs / "encodings.log"), "GET /small.txt HTTP/1.1 [identity]\n");
}

TEST(HttpOrigin, NothingListeningIsAConnectionError) {
    auto origin = make_origin(options_for("http://127.0.0.1:" + std::to_string(ct_test::free_port())));
    Fetched got = fetch_to_file(*origin, "a.bin");
    EXPECT_EQ(got.result.status, FetchStatus::connection_error);
    EXPECT_EQ(got.result.http_status, 0);
    EXPECT_EQ(got.result.message.rfind("cannot connect to origin: ", 0), 0u) << got.result.message;
}

class HttpOriginMisbehaving : public ::testing::Test {
protected:
    HttpOriginMisbehaving() : fake_("misbehaving_origin.py", root_.path()) {
        ct_test::write_file(root_ / "a.bin", ct_test::random_bytes(1 << 20, 3));
    }
    std::unique_ptr<Origin> origin(OriginOptions opts = options_for("")) {
        opts.url = fake_.base_url();
        return make_origin(opts);
    }
    Fetched fetch(const std::string& key, OriginOptions opts = options_for("")) {
        auto o = origin(opts);
        return fetch_to_file(*o, key);
    }

    ct_test::TempDir root_;
    Fake fake_;
};

TEST_F(HttpOriginMisbehaving, ServerErrorIsAnOriginError) {
    Fetched got = fetch("error500/a.bin");
    EXPECT_EQ(got.result.status, FetchStatus::origin_error);
    EXPECT_EQ(got.result.http_status, 500);
    EXPECT_EQ(got.result.message, "origin answered 500 Internal Server Error");
    EXPECT_EQ(got.body, "");
}

TEST_F(HttpOriginMisbehaving, ServiceUnavailableSaysSo) {
    Fetched got = fetch("status/503/a.bin");
    EXPECT_EQ(got.result.status, FetchStatus::origin_error);
    EXPECT_EQ(got.result.message, "origin answered 503 Service Unavailable");
}

TEST_F(HttpOriginMisbehaving, ForbiddenFromAPublicBaseMeansMissing) {
    Fetched got = fetch("status/403/a.bin");
    EXPECT_EQ(got.result.status, FetchStatus::not_found);
    EXPECT_NE(got.result.message.find("403 Forbidden"), std::string::npos) << got.result.message;
}

TEST_F(HttpOriginMisbehaving, UnauthorizedIsRefused) {
    Fetched got = fetch("status/401/a.bin");
    EXPECT_EQ(got.result.status, FetchStatus::refused);
    EXPECT_EQ(got.result.message, "origin refused access (401 Unauthorized)");
}

TEST_F(HttpOriginMisbehaving, NotFoundIsNotFound) {
    EXPECT_EQ(fetch("notfound/a.bin").result.status, FetchStatus::not_found);
}

TEST_F(HttpOriginMisbehaving, SlowOriginTimesOut) {
    OriginOptions opts = options_for("");
    opts.low_speed_bytes = 1 << 20;  // the fake sends 64 KB every 0.5 s
    opts.low_speed_time = 1s;
    Fetched got = fetch("slow/a.bin", opts);
    EXPECT_EQ(got.result.status, FetchStatus::timeout) << got.result.message;
    EXPECT_LT(got.result.bytes, 1u << 20);
    EXPECT_NE(got.result.message.find("origin timed out: under 1048576 bytes/s for 1 s"), std::string::npos)
        << got.result.message;
    EXPECT_NE(got.result.message.find(" of 1048576 bytes"), std::string::npos) << got.result.message;
}

TEST_F(HttpOriginMisbehaving, TotalTimeoutStopsALongTransfer) {
    OriginOptions opts = options_for("");
    opts.total_timeout = 1200ms;
    Fetched got = fetch("slow/a.bin", opts);
    EXPECT_EQ(got.result.status, FetchStatus::timeout);
    EXPECT_EQ(got.result.message.rfind("origin timed out after 1.2 s (", 0), 0u) << got.result.message;
}

TEST_F(HttpOriginMisbehaving, ResetMidBodyIsAConnectionError) {
    Fetched got = fetch("reset/a.bin");
    EXPECT_EQ(got.result.status, FetchStatus::connection_error) << got.result.message;
    EXPECT_EQ(got.result.message.rfind("connection reset by origin after ", 0), 0u) << got.result.message;
    EXPECT_NE(got.result.message.find(" of 1048576 bytes"), std::string::npos) << got.result.message;
    EXPECT_LT(got.result.bytes, 1u << 20);
}

TEST_F(HttpOriginMisbehaving, ShortBodyIsDetected) {
    Fetched got = fetch("short/a.bin");  // announces twice the length it sends
    EXPECT_EQ(got.result.status, FetchStatus::short_body) << got.result.message;
    EXPECT_EQ(got.result.message, "origin closed the connection after 1048576 of 2097152 bytes");
}

TEST_F(HttpOriginMisbehaving, OversizeWithoutContentLengthIsCutOff) {
    FetchRequest req;
    req.key = "nolength/a.bin";
    req.max_size = 100000;
    auto o = origin();
    Fetched got = fetch_to_file(*o, req);
    EXPECT_EQ(got.result.status, FetchStatus::too_large) << got.result.message;
    EXPECT_LE(got.body.size(), 100000u);
}

TEST_F(HttpOriginMisbehaving, BodyEndedByCloseIsComplete) {
    Fetched got = fetch("nolength/a.bin");
    EXPECT_EQ(got.result.status, FetchStatus::ok) << got.result.message;
    EXPECT_EQ(got.body.size(), 1u << 20);
}

// Answers that look like success but are not the whole, unencoded file are
// refused before any of their body lands in the file.
TEST_F(HttpOriginMisbehaving, AnswersThatAreNotTheFileWriteNothing) {
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"partial/a.bin", "origin answered 206 Partial Content; only a 200 with the whole file is cached"},
        {"redirect/partial/a.bin", "origin answered 206 Partial Content; only a 200 with the whole file is cached"},
        {"file-status/204/a.bin", "origin answered 204 No Content; only a 200 with the whole file is cached"},
        {"ranged200/a.bin", "origin answered 200 with Content-Range: bytes 0-524287/1048576; a part of the file "
                            "is not the file"},
        {"encoded/a.bin", "origin sent the file with Content-Encoding: gzip; cache-tier stores files only as they "
                          "are, unencoded"},
        {"twolengths/a.bin", "origin sent conflicting Content-Length values (1048586, 1048576): invalid framing "
                             "(RFC 9112 §6.3)"},
        {"lengthlist/a.bin", "origin sent conflicting Content-Length values (1048576, 1048586): invalid framing "
                             "(RFC 9112 §6.3)"},
        {"cl-and-te/a.bin", "origin sent both Content-Length and Transfer-Encoding: invalid framing (RFC 9112 §6.3)"},
        // libcurl refuses this one before cache-tier sees the head.
        {"badlength/a.bin", "origin sent an invalid response: Invalid Content-Length: value"},
    };
    for (const auto& [key, message] : cases) {
        Fetched got = fetch(key);
        EXPECT_EQ(got.result.status, FetchStatus::origin_error) << key;
        EXPECT_EQ(got.result.message, message) << key;
        EXPECT_EQ(got.result.bytes, 0u) << key;
        EXPECT_EQ(got.body.size(), 0u) << key;
    }
}

// RFC 9110 §8.6: a list of one length repeated is that length.
TEST_F(HttpOriginMisbehaving, RepeatedIdenticalLengthIsTheFile) {
    Fetched got = fetch("samelengths/a.bin");
    EXPECT_EQ(got.result.status, FetchStatus::ok) << got.result.message;
    EXPECT_TRUE(same_bytes(got.body, ct_test::read_file(root_ / "a.bin")));
}

// The fake sends a KB, then nothing: only the cancel flag can end the fetch
// before the low-speed timeout (5 s here).
TEST_F(HttpOriginMisbehaving, CancelledFetchEndsWhileTheOriginSendsNothing) {
    std::atomic<bool> cancelled{false};
    FetchRequest req;
    req.key = "stall/a.bin";
    req.cancelled = &cancelled;
    auto o = origin();
    std::thread canceller([&] {
        std::this_thread::sleep_for(500ms);
        cancelled = true;
    });
    const auto started = std::chrono::steady_clock::now();
    Fetched got = fetch_to_file(*o, req);
    const auto took = std::chrono::steady_clock::now() - started;
    canceller.join();
    EXPECT_EQ(got.result.status, FetchStatus::local_error);
    EXPECT_EQ(got.result.message, cache_tier::origins::kFetchCancelled);
    EXPECT_LT(took, 3s);  // curl calls back about once a second
}

TEST_F(HttpOriginMisbehaving, RedirectsAreFollowed) {
    Fetched got = fetch("redirect/a.bin");
    EXPECT_EQ(got.result.status, FetchStatus::ok) << got.result.message;
    EXPECT_TRUE(same_bytes(got.body, ct_test::read_file(root_ / "a.bin")));
    EXPECT_EQ(fake_.count_requests("GET /a.bin 200"), 1) << fake_.log();
}

}  // namespace
