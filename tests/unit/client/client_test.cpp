// cache_tier::Client against peers that misbehave on purpose (the real server
// is exercised by tests/integration/client_test.cpp): bad input, garbage and
// slow answers, the local status cache, fail-over between nodes.
#include "cache_tier/client.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "client/cluster.hpp"
#include "client/node_health.hpp"
#include "support/process.hpp"
#include "unit/client/canned_server.hpp"

namespace cache_tier {
namespace {

using namespace std::chrono_literals;
using client::testing::CannedServer;
using client::testing::SilentServer;

const std::string available_json = R"({"available": true, "file": "x", "error": false, "error_msg": null})";
const std::string missing_json = R"({"available": false, "file": "x", "error": false, "error_msg": null})";

double seconds_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

ClientOptions no_cache() {
    ClientOptions options;
    options.enable_local_cache = false;
    return options;
}

TEST(Client, BlankNamesThrowCacheErrorFromEveryCall) {
    Client client("http://127.0.0.1:9/");
    for (const char* blank : {"", "   ", "\t\n"}) {
        EXPECT_THROW(client.verify_file(blank), CacheError);
        EXPECT_THROW(client.refresh_status_from_server(blank), CacheError);
        EXPECT_THROW(client.is_stale(blank), CacheError);
        EXPECT_THROW(client.build_download_url(blank), CacheError);
    }
}

TEST(Client, BadConfigurationThrowsCacheError) {
    EXPECT_THROW(Client(std::vector<std::string>{}), CacheError);
    EXPECT_THROW(Client("downloads.example.com"), CacheError);
    EXPECT_THROW(Client(std::vector<std::string>{"http://a/", "gopher://b/"}), CacheError);
    EXPECT_THROW(Client("http://a/", ClientOptions{.request_timeout = 0ms}), CacheError);
    EXPECT_THROW(Client("http://a/", ClientOptions{.local_cache_time = -1ms}), CacheError);
    EXPECT_THROW(Client("http://a/", ClientOptions{.down_node_time = -1ms}), CacheError);
}

TEST(Client, DownloadUrlHasExactlyOneSlashBeforeDownload) {
    EXPECT_EQ(Client("http://downloads.example.com/").build_download_url("a.mp3"),
              "http://downloads.example.com/download/a.mp3");
    EXPECT_EQ(Client("http://downloads.example.com").build_download_url("a.mp3"),
              "http://downloads.example.com/download/a.mp3");
    EXPECT_EQ(Client(" http://h:8080/cacheapp// ").build_download_url(" a.mp3 "),
              "http://h:8080/cacheapp/download/a.mp3");
}

TEST(Client, DownloadUrlKeepsCaseAndEncodesEachSegment) {
    EXPECT_EQ(Client("http://h/").build_download_url("Shows/Ep 1 #2.MP3"),
              "http://h/download/Shows/Ep%201%20%232.MP3");
}

TEST(Client, DownloadUrlPointsAtTheFilesNodeAndSkipsADownOne) {
    const std::vector<std::string> nodes{"http://download-node-a.invalid", "http://download-node-b.invalid",
                                         "http://download-node-c.invalid"};
    Client client(nodes);
    for (int i = 0; i < 30; ++i) {
        const std::string name = "file-" + std::to_string(i) + ".mp3";
        const auto order = client::node_order(nodes, name);
        EXPECT_EQ(client.build_download_url(name), nodes[order[0]] + "/download/" + name);
        // Any spelling of the name lands on the same node.
        EXPECT_EQ(client.build_download_url("FILE-" + std::to_string(i) + ".mp3"),
                  nodes[order[0]] + "/download/FILE-" + std::to_string(i) + ".mp3");
    }
    const std::string name = "moves.mp3";
    const auto order = client::node_order(nodes, name);
    client::shared_node_health().mark_down(nodes[order[0]], 60s);
    EXPECT_EQ(client.build_download_url(name), nodes[order[1]] + "/download/" + name);
    client::shared_node_health().mark_up(nodes[order[0]]);
}

TEST(Client, AnswerIsRememberedByEveryClientForTheWindow) {
    CannedServer server(CannedServer::response(200, available_json));
    ClientOptions options;
    options.local_cache_time = 60s;
    Client first(server.base_url() + "/", options);
    EXPECT_TRUE(first.is_stale("Remembered.mp3"));
    EXPECT_TRUE(first.verify_file("Remembered.mp3"));
    EXPECT_EQ(server.requests(), 1);
    EXPECT_FALSE(first.is_stale("remembered.MP3"));

    // A new client of the same server, another spelling: no new request.
    Client second(server.base_url(), options);
    EXPECT_TRUE(second.verify_file("REMEMBERED.mp3"));
    EXPECT_EQ(server.requests(), 1);

    // Forcing a refresh asks again; another file has its own entry.
    EXPECT_TRUE(second.refresh_status_from_server("Remembered.mp3"));
    EXPECT_TRUE(second.verify_file("other-remembered.mp3"));
    EXPECT_EQ(server.requests(), 3);
    EXPECT_EQ(server.request_lines().front(), "GET /verify/Remembered.mp3 HTTP/1.1");
}

TEST(Client, ShortWindowExpires) {
    CannedServer server(CannedServer::response(200, missing_json));
    ClientOptions options;
    options.local_cache_time = 200ms;
    // A clock the test moves: the window expires without a sleep.
    auto now = std::make_shared<std::chrono::steady_clock::time_point>(std::chrono::steady_clock::now());
    options.clock = [now] { return *now; };
    Client client(server.base_url(), options);
    EXPECT_FALSE(client.verify_file("expires.mp3"));
    *now += 199ms;
    EXPECT_FALSE(client.verify_file("expires.mp3"));
    EXPECT_EQ(server.requests(), 1);
    *now += 2ms;
    EXPECT_TRUE(client.is_stale("expires.mp3"));
    EXPECT_FALSE(client.verify_file("expires.mp3"));
    EXPECT_EQ(server.requests(), 2);
}

// The status cache is keyed by the name alone, case-insensitive, as the
// original's class-level dict was: any Client of the process reuses an answer.
TEST(Client, AnswersAreSharedByNameAcrossClientsWhateverTheCase) {
    CannedServer yes(CannedServer::response(200, available_json));
    CannedServer other(CannedServer::response(200, missing_json));
    EXPECT_TRUE(Client(yes.base_url()).verify_file("Shared-Name.mp3"));
    EXPECT_TRUE(Client(other.base_url()).verify_file("shared-name.MP3"));
    EXPECT_EQ(yes.requests(), 1);
    EXPECT_EQ(other.requests(), 0);
}

TEST(Client, DisabledCacheAsksEveryTime) {
    CannedServer server(CannedServer::response(200, available_json));
    Client client(server.base_url(), no_cache());
    for (int i = 0; i < 3; ++i) EXPECT_TRUE(client.verify_file("uncached.mp3"));
    EXPECT_TRUE(client.is_stale("uncached.mp3"));
    EXPECT_EQ(server.requests(), 3);
}

TEST(Client, NamesAreEncodedOnTheWire) {
    CannedServer server(CannedServer::response(200, available_json));
    Client client(server.base_url(), no_cache());
    client.verify_file("Shows/Ep 1?.mp3");
    client.verify_file("../etc/passwd");
    const auto lines = server.request_lines();
    ASSERT_EQ(lines.size(), 2u);
    EXPECT_EQ(lines[0], "GET /verify/Shows/Ep%201%3F.mp3 HTTP/1.1");
    // Sent as given, so that the server (not libcurl) decides what is valid.
    EXPECT_EQ(lines[1], "GET /verify/../etc/passwd HTTP/1.1");
}

class ClientGarbageAnswer : public ::testing::TestWithParam<std::string> {};

TEST_P(ClientGarbageAnswer, GivesFalseAndIsNotRemembered) {
    CannedServer server(GetParam());
    Client client(server.base_url(), ClientOptions{.down_node_time = 0ms});
    EXPECT_FALSE(client.verify_file("garbage.mp3"));
    EXPECT_TRUE(client.is_stale("garbage.mp3"));
    EXPECT_FALSE(client.verify_file("garbage.mp3"));
    EXPECT_EQ(server.requests(), 2);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ClientGarbageAnswer,
    ::testing::Values(CannedServer::response(500, available_json),
                      CannedServer::response(200, "<html>It works!</html>", "text/html"),
                      CannedServer::response(200, R"({"available": "yes"})"),
                      CannedServer::response(200, "{\"available\": true, \"pad\": \"" + std::string(100000, 'x') + "\"}"),
                      CannedServer::response(302, available_json), "HTTP/1.1 200 OK\r\nContent-Length: 500\r\n\r\n{",
                      "this is not HTTP\r\n\r\n"));

TEST(Client, RefusedNameIsAnAnswerFalse) {
    CannedServer server(CannedServer::response(
        400, R"({"available": false, "file": "..", "error": true, "error_msg": "name contains '..'"})"));
    Client client(server.base_url());
    EXPECT_FALSE(client.verify_file("refused/../name"));
    EXPECT_FALSE(client.verify_file("refused/../name"));
    EXPECT_EQ(server.requests(), 1);
}

TEST(Client, DeadServerGivesFalseAtOnce) {
    const std::string dead = "http://127.0.0.1:" + std::to_string(ct_test::free_port());
    Client client(dead);
    const auto start = std::chrono::steady_clock::now();
    EXPECT_FALSE(client.verify_file("dead.mp3"));
    EXPECT_FALSE(client.refresh_status_from_server("dead.mp3"));
    EXPECT_LT(seconds_since(start), 1.0);
    EXPECT_TRUE(client.is_stale("dead.mp3"));
}

TEST(Client, SlowServerGivesFalseWithinTheTimeout) {
    SilentServer server;
    Client client(server.base_url(), ClientOptions{.request_timeout = 300ms});
    const auto start = std::chrono::steady_clock::now();
    EXPECT_FALSE(client.verify_file("slow.mp3"));
    const double elapsed = seconds_since(start);
    EXPECT_GE(elapsed, 0.25);
    EXPECT_LT(elapsed, 3.0);
}

TEST(Client, FailsOverToTheNextNodeAndRemembersTheDownOne) {
    CannedServer broken(CannedServer::response(503, "busy", "text/plain"));
    CannedServer good(CannedServer::response(200, available_json));
    const std::vector<std::string> nodes{broken.base_url(), good.base_url()};
    // Files whose home is the broken node.
    std::vector<std::string> names;
    for (int i = 0; names.size() < 3; ++i) {
        std::string name = "failover-" + std::to_string(i) + ".mp3";
        if (client::node_order(nodes, name).front() == 0) names.push_back(name);
    }
    ClientOptions options = no_cache();
    options.down_node_time = 60s;
    Client client(nodes, options);
    for (const auto& name : names) EXPECT_TRUE(client.verify_file(name)) << name;
    EXPECT_EQ(broken.requests(), 1) << "the broken node is asked once, then skipped";
    EXPECT_EQ(good.requests(), 3);
    client::shared_node_health().mark_up(broken.base_url());

    // Without memory the broken node is asked every time, and every time the good one answers.
    options.down_node_time = 0ms;
    Client forgetful(nodes, options);
    for (const auto& name : names) EXPECT_TRUE(forgetful.verify_file(name)) << name;
    EXPECT_EQ(broken.requests(), 4);
}

TEST(Client, OneClientServesManyThreads) {
    CannedServer server(CannedServer::response(200, available_json));
    Client client(server.base_url());
    std::atomic<int> wrong{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t)
        threads.emplace_back([&] {
            for (int i = 0; i < 50; ++i)
                if (!client.verify_file("threads-" + std::to_string(i % 10) + ".mp3")) ++wrong;
        });
    for (auto& thread : threads) thread.join();
    EXPECT_EQ(wrong.load(), 0);
    // Threads may race on a first miss, never more than once each per file.
    EXPECT_GE(server.requests(), 10);
    EXPECT_LE(server.requests(), 80);
}

}  // namespace
}  // namespace cache_tier
