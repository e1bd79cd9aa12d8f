// /metrics, /healthz, /readyz and /status.json of the real binary filling
// from Debian's nginx: the counters equal what the test sent and received,
// and Debian's promtool accepts the exposition.
#include <cstdlib>
#include <map>
#include <regex>

#include <gtest/gtest.h>

#include "fill_support.hpp"

namespace metrics_it {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using ct_test::CacheTierServer;
using ct_test::Nginx;
using ct_test::TempDir;

// Every sample of an exposition: "name{labels}" -> value.
std::map<std::string, double> parse_samples(const std::string& text) {
    std::map<std::string, double> samples;
    for (const auto& line : ct_test::split_lines(text)) {
        if (line.empty() || line[0] == '#') continue;
        const auto space = line.rfind(' ');
        samples[line.substr(0, space)] = std::stod(line.substr(space + 1));
    }
    return samples;
}

// Counts what the test sent and what came back, to compare with the server's counters.
struct Sent {
    int port;
    std::map<std::string, int> requests;  // "route/code"
    std::uint64_t static_body_bytes = 0;  // bodies of the static route's 200 and 206 answers
    std::uint64_t error_body_bytes = 0;   // bodies of its 404s
    int hits = 0, misses = 0, scrapes = 0, connections = 0;

    std::optional<ct_test::HttpResponse> get(const std::string& route, const std::string& target,
                                             const std::vector<std::string>& headers = {}, const char* method = "GET") {
        auto r = ct_test::http_request(port, method, target, headers);
        ++connections;
        if (r) ++requests[route + "/" + std::to_string(r->status)];
        return r;
    }
    // /verify until the file is cached: every "available": false is a miss.
    bool verify_until(const std::string& name, const std::string& state) {
        return ct_test::eventually(
            [&] {
                auto r = get("verify", "/verify/" + name);
                auto json = nlohmann::json::parse(r ? r->body : "", nullptr, false);
                if (!json.is_object()) return false;
                if (json["available"] == false) ++misses;
                return json.value("state", "") == state;
            },
            30s, 100ms);
    }
    std::string scrape() {
        auto r = get("metrics", "/metrics");
        ++scrapes;
        EXPECT_TRUE(r && r->status == 200);
        EXPECT_EQ(r->header("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
        return r ? r->body : "";
    }
};

// promtool's own checker: the format and the naming conventions. Its output, "" when clean.
std::string promtool_problems(const std::string& text, const fs::path& dir) {
    ct_test::write_file(dir / "scrape.txt", text);
    const std::string cmd = "promtool check metrics < " + (dir / "scrape.txt").string() + " > " +
                            (dir / "promtool.out").string() + " 2>&1";
    const int rc = std::system(cmd.c_str());
    const std::string out = ct_test::read_file(dir / "promtool.out");
    return rc == 0 ? out : "exit status " + std::to_string(rc) + ": " + out;
}

TEST(Metrics, CountersEqualWhatWasSentAndPromtoolAcceptsThem) {
    TempDir origin, cache, work;
    const std::string big = ct_test::random_bytes(300000, 3), small = ct_test::random_bytes(5000, 4);
    ct_test::write_file(origin / "Show/big.mp3", big);
    ct_test::write_file(origin / "small.bin", small);
    Nginx nginx(fill_it::world_readable(origin.path()));
    CacheTierServer server(cache.path(), {"--origin", nginx.base_url(), "--stream-misses", "false"});
    Sent sent{server.port()};
    sent.connections = 1;  // the harness's connect once the server said it listens

    // Before any traffic every counter without labels is 0.
    auto before = parse_samples(sent.scrape());
    EXPECT_EQ(before["cache_tier_bytes_served_total"], 0);
    EXPECT_EQ(before["cache_tier_fills_started_total"], 0);
    EXPECT_EQ(before["cache_tier_fills_failed_total{reason=\"not_found\"}"], 0);

    ASSERT_TRUE(sent.verify_until("Show/big.mp3", "cached")) << fill_it::server_log(server);
    ASSERT_TRUE(sent.verify_until("small.bin", "cached"));
    ASSERT_TRUE(sent.verify_until("absent.bin", "not_found"));

    auto whole = sent.get("static", "/static/files_cache/show/big.mp3");
    ASSERT_TRUE(whole && whole->status == 200 && whole->body == big);
    auto part = sent.get("static", "/static/files_cache/show/big.mp3", {"Range: bytes=100-1099"});
    ASSERT_TRUE(part && part->status == 206);
    auto again = sent.get("static", "/static/files_cache/small.bin", {"If-None-Match: " + whole->header("ETag")});
    ASSERT_TRUE(again && again->status == 200);  // another file's ETag: sent whole
    auto same = sent.get("static", "/static/files_cache/small.bin", {"If-None-Match: " + again->header("ETag")});
    ASSERT_TRUE(same && same->status == 304);
    auto head = sent.get("static", "/static/files_cache/small.bin", {}, "HEAD");
    ASSERT_TRUE(head && head->status == 200 && head->body.empty());
    sent.hits = 5;
    sent.static_body_bytes = whole->body.size() + part->body.size() + again->body.size();
    auto absent = sent.get("static", "/static/files_cache/nothing-here.bin");
    ASSERT_TRUE(absent && absent->status == 404);
    sent.error_body_bytes = absent->body.size();
    ASSERT_TRUE(sent.get("other", "/no-such-endpoint"));
    auto local = sent.get("download", "/download/small.bin");
    ASSERT_TRUE(local && local->status == 302 && local->header("Location") == "/static/files_cache/small.bin");
    auto health = sent.get("health", "/healthz");
    ASSERT_TRUE(health && health->status == 200 && health->header("Cache-Control") == "no-store");
    auto ready = sent.get("health", "/readyz");
    ASSERT_TRUE(ready && ready->status == 200) << (ready ? ready->body : "");
    EXPECT_EQ(ready->header("Cache-Control"), "no-store");

    // Every connection the test opened has been seen closed by the server
    // (but the scrape's own): only then are the counts final.
    std::map<std::string, double> m;
    std::string text;
    ASSERT_TRUE(ct_test::eventually(
        [&] {
            text = sent.scrape();
            m = parse_samples(text);
            return m["cache_tier_open_connections"] == 1;
        },
        10s));
    // The scrape's own request is counted when its response ends: after it was written.
    sent.requests["metrics/200"] -= 1;

    for (const auto& [key, count] : sent.requests) {
        const auto slash = key.find('/');
        const std::string series = "cache_tier_http_requests_total{route=\"" + key.substr(0, slash) + "\",code=\"" +
                                   key.substr(slash + 1) + "\"}";
        EXPECT_EQ(m[series], count) << series;
    }
    int total = 0;
    for (const auto& [series, value] : m)
        if (series.starts_with("cache_tier_http_requests_total")) total += static_cast<int>(value);
    int sent_total = 0;
    for (const auto& [key, count] : sent.requests) sent_total += count;
    EXPECT_EQ(total, sent_total) << "requests counted that the test did not send";

    EXPECT_EQ(m["cache_tier_bytes_served_total"], sent.static_body_bytes);
    EXPECT_EQ(m["cache_tier_cache_bytes_total{result=\"hit\"}"], sent.static_body_bytes);
    EXPECT_EQ(m["cache_tier_http_response_body_bytes_total{route=\"static\"}"], sent.static_body_bytes + sent.error_body_bytes);
    EXPECT_EQ(m["cache_tier_cache_requests_total{result=\"hit\"}"], sent.hits);
    EXPECT_EQ(m["cache_tier_cache_requests_total{result=\"stream\"}"], 0);
    EXPECT_EQ(m["cache_tier_cache_requests_total{result=\"miss\"}"], sent.misses);
    EXPECT_EQ(m["cache_tier_origin_bytes_total"], big.size() + small.size());
    EXPECT_EQ(m["cache_tier_fills_started_total"], 3);
    EXPECT_EQ(m["cache_tier_fills_succeeded_total"], 2);
    EXPECT_EQ(m["cache_tier_fills_failed_total{reason=\"not_found\"}"], 1);
    EXPECT_EQ(m["cache_tier_origin_fetch_duration_seconds_count"], 3);
    EXPECT_EQ(m["cache_tier_origin_fetch_duration_seconds_bucket{le=\"+Inf\"}"], 3);
    EXPECT_EQ(m["cache_tier_cached_files"], 2);
    EXPECT_EQ(m["cache_tier_cached_bytes"], big.size() + small.size());
    EXPECT_EQ(m["cache_tier_fill_queue_depth"], 0);
    EXPECT_EQ(m["cache_tier_fills_in_flight"], 0);
    EXPECT_EQ(m["cache_tier_evictions_total"], 0);
    EXPECT_EQ(m["cache_tier_connections_accepted_total"], sent.connections);
    EXPECT_GT(m["cache_tier_origin_last_answer_timestamp_seconds"], 0);

    EXPECT_EQ(promtool_problems(text, work.path()), "");

    // /status.json says the same.
    auto status = ct_test::http_get(server.port(), "/status.json");
    ASSERT_TRUE(status && status->status == 200);
    auto json = nlohmann::json::parse(status->body);
    EXPECT_EQ(json["cache"]["files"], 2);
    EXPECT_EQ(json["bytes_served"], sent.static_body_bytes);
    EXPECT_EQ(json["hits"], sent.hits);
    EXPECT_EQ(json["misses"], sent.misses);
    EXPECT_EQ(json["origin_price_per_gb"], 0.09);
    ASSERT_EQ(json["recent_errors"].size(), 1u);
    EXPECT_EQ(json["recent_errors"][0]["name"], "absent.bin");
    EXPECT_EQ(json["recent_errors"][0]["reason"], "not_found");
}

TEST(Metrics, ReadyzFailsWhileTheOriginIsUnreachableAndNamesAreEscaped) {
    TempDir cache;
    // A port nothing listens on: the fill's connection is refused.
    const int closed_port = ct_test::free_port();
    CacheTierServer server(cache.path(), {"--origin", "http://127.0.0.1:" + std::to_string(closed_port)});
    // A name with quotes and markup: JSON-escaped, and listed as given.
    ASSERT_TRUE(fill_it::eventually_state(server.port(), "%3Cb%3E%22x%22.bin", "failed")) << fill_it::server_log(server);
    auto not_ready = ct_test::http_get(server.port(), "/readyz");
    ASSERT_TRUE(not_ready);
    EXPECT_EQ(not_ready->status, 503);
    EXPECT_EQ(not_ready->header("Cache-Control"), "no-store");
    auto reason = nlohmann::json::parse(not_ready->body, nullptr, false);
    ASSERT_TRUE(reason.is_object()) << not_ready->body;
    EXPECT_NE(reason.value("reason", "").find("origin unreachable"), std::string::npos) << not_ready->body;

    auto health = ct_test::http_get(server.port(), "/healthz");
    ASSERT_TRUE(health);
    EXPECT_EQ(health->status, 200);  // the process serves all the same

    auto m = parse_samples(ct_test::http_get(server.port(), "/metrics")->body);
    EXPECT_EQ(m["cache_tier_fills_failed_total{reason=\"connection_error\"}"], 1);
    EXPECT_EQ(m["cache_tier_origin_bytes_total"], 0);
    EXPECT_GT(m["cache_tier_origin_last_unreachable_timestamp_seconds"], 0);

    auto status = nlohmann::json::parse(ct_test::http_get(server.port(), "/status.json")->body);
    EXPECT_EQ(status["ready"], false);
    ASSERT_EQ(status["recent_errors"].size(), 1u);
    EXPECT_EQ(status["recent_errors"][0]["name"], "<b>\"x\".bin");
    EXPECT_EQ(status["recent_errors"][0]["reason"], "connection_error");
}

// A file served while it fills is a "stream", with every byte the client received.
TEST(Metrics, AFileServedWhileItFillsCountsAsAStream) {
    TempDir origin, cache;
    const std::string body = ct_test::random_bytes(400000, 8);
    ct_test::write_file(origin / "slow.mp3", body);
    // 100 KB/s: the fill takes about 4 s, so the first complete answer is a stream.
    Nginx nginx(fill_it::world_readable(origin.path()), "    limit_rate 100k;\n");
    CacheTierServer server(cache.path(), {"--origin", nginx.base_url()});
    ASSERT_TRUE(fill_it::verify(server.port(), "slow.mp3").is_object());
    std::optional<ct_test::HttpResponse> streamed;
    int not_yet = 0;
    ASSERT_TRUE(ct_test::eventually(
        [&] {
            streamed = ct_test::http_get(server.port(), "/static/files_cache/slow.mp3");
            if (streamed && streamed->status == 404) ++not_yet;
            return streamed && streamed->status == 200;
        },
        10s, 20ms));
    ASSERT_EQ(streamed->body, body);
    ASSERT_TRUE(nginx.count_requests("GET /slow.mp3") == 1);
    auto m = parse_samples(ct_test::http_get(server.port(), "/metrics")->body);
    EXPECT_EQ(m["cache_tier_cache_requests_total{result=\"stream\"}"], 1);
    EXPECT_EQ(m["cache_tier_cache_bytes_total{result=\"stream\"}"], body.size());
    EXPECT_EQ(m["cache_tier_cache_requests_total{result=\"hit\"}"], 0);
    EXPECT_EQ(m["cache_tier_bytes_served_total"], body.size());
    EXPECT_EQ(m["cache_tier_http_requests_total{route=\"static\",code=\"404\"}"], not_yet);
}

// With no fill to learn from, /readyz has the origin asked on a fill worker.
TEST(Metrics, ReadyzProbesAnOriginNoFillHasTalkedTo) {
    TempDir origin, cache, down_cache;
    Nginx nginx(fill_it::world_readable(origin.path()));
    CacheTierServer up(cache.path(), {"--origin", nginx.base_url()});
    auto first = ct_test::http_get(up.port(), "/readyz");
    ASSERT_TRUE(first);
    EXPECT_EQ(first->status, 200) << first->body;
    std::map<std::string, double> m;
    ASSERT_TRUE(ct_test::eventually(
        [&] {
            m = parse_samples(ct_test::http_get(up.port(), "/metrics")->body);
            return m["cache_tier_origin_last_answer_timestamp_seconds"] > 0;
        },
        10s));
    EXPECT_EQ(nginx.count_requests("GET /.cache-tier-probe"), 1);
    EXPECT_EQ(m["cache_tier_fills_started_total"], 0) << "a probe is not a fill";

    CacheTierServer down(down_cache.path(), {"--origin", "http://127.0.0.1:" + std::to_string(ct_test::free_port())});
    std::optional<ct_test::HttpResponse> ready;
    ASSERT_TRUE(ct_test::eventually(
        [&] {
            ready = ct_test::http_get(down.port(), "/readyz");
            return ready && ready->status == 503;
        },
        10s));
    EXPECT_NE(ready->body.find("origin unreachable"), std::string::npos) << ready->body;
}

}  // namespace
}  // namespace metrics_it
