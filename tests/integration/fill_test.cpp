// The real binary filling from Debian's nginx as the origin: single flight
// under 200 concurrent verifies, redirects, negative caching from the config
// file, and revalidation after a restart.
#include <csignal>
#include <fstream>

#include <gtest/gtest.h>

#include "fill_support.hpp"

namespace fill_it {
namespace {

using ct_test::CacheTierServer;
using ct_test::Nginx;
using ct_test::TempDir;

TEST(FillFromNginx, TwoHundredConcurrentVerifiesOfAMissingFileMakeOneOriginGet) {
    TempDir origin, cache;
    const std::string body = ct_test::random_bytes(50 << 20, 11);
    ct_test::write_file(origin / "Podcasts/Big Episode.mp3", body);
    Nginx nginx(world_readable(origin.path()));
    CacheTierServer server(cache.path(), {"--origin", nginx.base_url(), "--fill-workers", "4"});

    // All 200 requests are in the server before the first answer is read.
    std::vector<std::unique_ptr<ct_test::Connection>> connections;
    for (int i = 0; i < 200; ++i) connections.push_back(std::make_unique<ct_test::Connection>(server.port()));
    for (auto& c : connections) ASSERT_TRUE(c->send(ct_test::make_request("GET", "/verify/Podcasts/Big%20Episode.mp3")));
    int answered = 0;
    for (auto& c : connections) {
        auto response = c->read_response(false, 10s);
        if (!response || response->status != 200) continue;
        auto json = nlohmann::json::parse(response->body, nullptr, false);
        if (json.is_object() && json["file"] == "Podcasts/Big Episode.mp3" && json["error"] == false) ++answered;
    }
    EXPECT_EQ(answered, 200);

    ASSERT_TRUE(eventually_state(server.port(), "Podcasts/Big%20Episode.mp3", "cached")) << server_log(server);
    EXPECT_EQ(nginx.count_requests("GET /Podcasts/Big"), 1);
    auto copy = ct_test::http_get(server.port(), "/static/files_cache/podcasts/big%20episode.mp3");
    ASSERT_TRUE(copy);
    EXPECT_EQ(copy->status, 200);
    EXPECT_TRUE(copy->body == body) << "the served copy differs from the origin's file";
    EXPECT_TRUE(temp_files(cache.path()).empty());
}

TEST(FillFromNginx, DownloadRedirectsToTheOriginUntilTheCopyIsThere) {
    TempDir origin, cache;
    ct_test::write_file(origin / "Show/Ep1.MP3", "audio bytes");
    Nginx nginx(world_readable(origin.path()));
    // The original's behaviour; streaming a miss is stream_test's.
    CacheTierServer server(cache.path(), {"--origin", nginx.base_url(), "--stream-misses", "false"});

    auto first = ct_test::http_get(server.port(), "/download/Show/Ep1.MP3");
    ASSERT_TRUE(first);
    EXPECT_EQ(first->status, 302);
    EXPECT_EQ(first->header("Location"), nginx.base_url() + "/Show/Ep1.MP3");  // the client's case
    EXPECT_EQ(first->header("Cache-Control"), "no-store");

    ASSERT_TRUE(eventually_state(server.port(), "Show/Ep1.MP3", "cached")) << server_log(server);
    auto second = ct_test::http_get(server.port(), "/download/Show/Ep1.MP3");
    ASSERT_TRUE(second);
    EXPECT_EQ(second->status, 302);
    EXPECT_EQ(second->header("Location"), "/static/files_cache/show/ep1.mp3");
    auto served = ct_test::http_get(server.port(), second->header("Location"));
    ASSERT_TRUE(served);
    EXPECT_EQ(served->body, "audio bytes");
}

TEST(FillFromNginx, InvalidNamesAre400AndReachNoOrigin) {
    TempDir origin, cache;
    Nginx nginx(world_readable(origin.path()));
    CacheTierServer server(cache.path(), {"--origin", nginx.base_url()});
    for (const char* target : {"/verify/a/%2e%2e/b", "/verify/%00", "/download/..%2f..%2fetc/passwd", "/verify/a%5cb"}) {
        auto response = ct_test::http_get(server.port(), target);
        ASSERT_TRUE(response) << target;
        EXPECT_EQ(response->status, 400) << target;
        auto json = nlohmann::json::parse(response->body, nullptr, false);
        EXPECT_EQ(json.value("error", false), true) << target << ": " << response->body;
    }
    EXPECT_EQ(nginx.count_requests("GET "), 0);
}

TEST(FillFromNginx, AMissIsRememberedForTheNegativeCacheTimeOfTheConfigFile) {
    TempDir origin, cache, conf;
    Nginx nginx(world_readable(origin.path()));
    ct_test::write_file(conf / "cache-tier.json", R"({"negative_cache_time": 3600, "fill_workers": 2})");
    CacheTierServer server(cache.path(), {"--origin", nginx.base_url(), "--config", (conf / "cache-tier.json").string()});

    ASSERT_TRUE(eventually_state(server.port(), "nothing.mp3", "not_found")) << server_log(server);
    auto json = verify(server.port(), "nothing.mp3");
    EXPECT_EQ(json["available"], false);
    EXPECT_EQ(json["error"], true);
    EXPECT_NE(json["error_msg"].get<std::string>().find("404"), std::string::npos) << json.dump();
    for (int i = 0; i < 20; ++i) verify(server.port(), "nothing.mp3");
    EXPECT_EQ(nginx.count_requests("GET /nothing.mp3 "), 1);
}

TEST(FillFromNginx, WhatIsKnownSurvivesARestartAndRevalidationSendsIfNoneMatch) {
    TempDir origin, cache, logs;
    ct_test::write_file(origin / "song.mp3", ct_test::random_bytes(100000, 5));
    // Log the conditional headers each request carried.
    Nginx nginx(world_readable(origin.path()),
                "    access_log " + (logs / "conditional.log").string() + " conditional;\n",
                "  log_format conditional '$request $status inm=[$http_if_none_match]';\n");
    {
        CacheTierServer first(cache.path(), {"--origin", nginx.base_url()});
        ASSERT_TRUE(eventually_state(first.port(), "song.mp3", "cached")) << server_log(first);
        EXPECT_EQ(first.process().stop(SIGTERM), 0);
    }
    age_records(cache.path());

    CacheTierServer second(cache.path(), {"--origin", nginx.base_url(), "--revalidate-after", "3600"});
    EXPECT_EQ(verify(second.port(), "song.mp3")["available"], true);  // stale copies serve while revalidating
    ASSERT_TRUE(ct_test::eventually(
        [&] { return ct_test::read_file(logs / "conditional.log").find("304") != std::string::npos; }, 10s))
        << ct_test::read_file(logs / "conditional.log") << server_log(second);

    const auto lines = ct_test::split_lines(ct_test::read_file(logs / "conditional.log"));
    ASSERT_EQ(lines.size(), 2u);
    EXPECT_NE(lines[0].find(" 200 inm=[-]"), std::string::npos) << lines[0];  // nginx logs an absent header as -
    EXPECT_NE(lines[1].find(" 304 inm=[\\x22"), std::string::npos) << lines[1];  // the quoted ETag (nginx escapes quotes)
    // Revalidated now: fresh for another hour, no further request.
    EXPECT_EQ(verify(second.port(), "song.mp3")["available"], true);
    EXPECT_EQ(ct_test::split_lines(ct_test::read_file(logs / "conditional.log")).size(), 2u);
}

}  // namespace
}  // namespace fill_it
