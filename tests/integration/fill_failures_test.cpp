// The real binary against an origin that misbehaves on purpose
// (tests/fakes/misbehaving_origin.py): failures are reported in error_msg and
// leave nothing cached; kill -9 in the middle of a fill leaves nothing served,
// and SIGTERM in the middle of a stalled one ends it at once.
#include <gtest/gtest.h>

#include "fill_support.hpp"

namespace fill_it {
namespace {

using ct_test::CacheTierServer;
using ct_test::TempDir;

class FillFailures : public ::testing::Test {
protected:
    TempDir origin;
    TempDir cache;
    FakeOrigin fake{"misbehaving_origin.py", origin.path()};

    void SetUp() override { ct_test::write_file(origin / "file.bin", ct_test::random_bytes(200000, 9)); }
};

// The first path segment of a name picks the fake's behaviour ("error500/file.bin").
TEST_F(FillFailures, BrokenTransfersAreReportedAndNothingIsCached) {
    CacheTierServer server(cache.path(), {"--origin", fake.base_url()});
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"error500/file.bin", "500"},
        {"status/503/file.bin", "503"},
        {"reset/file.bin", "reset"},
        {"short/file.bin", "closed the connection"},
    };
    for (const auto& [name, expected] : cases) {
        ASSERT_TRUE(eventually_state(server.port(), name, "failed")) << name << "\n" << server_log(server);
        auto json = verify(server.port(), name);
        EXPECT_EQ(json["available"], false) << name;
        EXPECT_EQ(json["error"], true) << name;
        ASSERT_TRUE(json["error_msg"].is_string()) << name;
        EXPECT_NE(json["error_msg"].get<std::string>().find(expected), std::string::npos) << json.dump();
        EXPECT_FALSE(fs::exists(cache / name)) << name;
        auto served = ct_test::http_get(server.port(), "/static/files_cache/" + name);
        ASSERT_TRUE(served);
        EXPECT_EQ(served->status, 404) << name;
        // Backing off: asking again does not reach the origin again.
        EXPECT_EQ(fake.count_requests("GET /" + name), 1) << name;
    }
    EXPECT_TRUE(temp_files(cache.path()).empty());
}

TEST_F(FillFailures, FilesOverTheMaximumSizeAreRefusedClearly) {
    CacheTierServer server(cache.path(), {"--origin", fake.base_url(), "--max-file-size", "1000"});
    ASSERT_TRUE(eventually_state(server.port(), "file.bin", "failed")) << server_log(server);
    auto json = verify(server.port(), "file.bin");
    EXPECT_NE(json["error_msg"].get<std::string>().find("1000"), std::string::npos) << json.dump();
    EXPECT_FALSE(fs::exists(cache / "file.bin"));
}

TEST_F(FillFailures, AFullQueueStillRedirectsToTheOrigin) {
    // 1 MB at 64 KB every half second: each fill takes 8 s.
    for (const char* name : {"a.bin", "b.bin", "c.bin", "d.bin"})
        ct_test::write_file(origin / name, ct_test::random_bytes(1 << 20));
    CacheTierServer server(cache.path(), {"--origin", fake.base_url() + "/slow", "--fill-workers", "1",
                                          "--max-queued-fills", "1"});
    auto location_of = [&](const std::string& name) {
        auto response = ct_test::http_get(server.port(), "/download/" + name);
        EXPECT_TRUE(response && response->status == 302) << name;
        return response ? response->header("Location") : std::string();
    };
    // The one worker takes a.bin, whose head comes at once: it streams from the local path.
    EXPECT_EQ(location_of("a.bin"), "/static/files_cache/a.bin");
    ASSERT_TRUE(ct_test::eventually([&] { return !temp_files(cache.path()).empty(); }, 10s));
    // b.bin takes the queue's one place; its head cannot come within the wait: to the origin.
    EXPECT_EQ(location_of("b.bin"), fake.base_url() + "/slow/b.bin");
    // No room for c.bin and d.bin: to the origin at once, as before streaming.
    for (const char* name : {"c.bin", "d.bin"}) {
        const auto asked = std::chrono::steady_clock::now();
        EXPECT_EQ(location_of(name), fake.base_url() + "/slow/" + name);
        EXPECT_LT(std::chrono::steady_clock::now() - asked, 500ms) << name << " waited for a fill that was never queued";
    }
    // One fill runs, one more waits: the others found no room.
    EXPECT_EQ(verify(server.port(), "d.bin")["state"], "queue_full");
}

// A fill waiting on an origin that sends nothing must not hold up the exit
// until curl's low-speed timeout: SIGTERM cancels it, and it leaves nothing.
TEST_F(FillFailures, SigtermDuringAStalledFillExitsPromptly) {
    CacheTierServer server(cache.path(), {"--origin", fake.base_url() + "/stall"});
    EXPECT_EQ(verify(server.port(), "file.bin")["state"], "filling");
    // The fake sends the first KB, then nothing for a minute.
    ASSERT_TRUE(fill_under_way(cache.path())) << server_log(server);
    const auto signalled = std::chrono::steady_clock::now();
    auto status = server.process().stop(SIGTERM, 3s);
    const auto took = std::chrono::duration<double>(std::chrono::steady_clock::now() - signalled).count();
    ASSERT_TRUE(status) << "still running 3 s after SIGTERM\n" << server_log(server);
    EXPECT_EQ(*status, 0) << server_log(server);
    EXPECT_LT(took, 3.0);
    EXPECT_TRUE(temp_files(cache.path()).empty());
    EXPECT_FALSE(fs::exists(cache / "file.bin"));
}

TEST_F(FillFailures, KilledMidFillServesNoPartialFileAndRefillsAfterRestart) {
    const std::string body = ct_test::random_bytes(4 << 20, 21);
    ct_test::write_file(origin / "big.bin", body);
    {
        // 64 KB every half second: the 4 MB fill takes half a minute.
        CacheTierServer slow(cache.path(), {"--origin", fake.base_url() + "/slow"});
        EXPECT_EQ(verify(slow.port(), "big.bin")["state"], "filling");
        ASSERT_TRUE(fill_under_way(cache.path())) << server_log(slow);
        slow.process().kill9();
    }
    ASSERT_FALSE(temp_files(cache.path()).empty());  // what kill -9 left behind
    EXPECT_FALSE(fs::exists(cache / "big.bin"));

    CacheTierServer server(cache.path(), {"--origin", fake.base_url()});
    EXPECT_TRUE(temp_files(cache.path()).empty());  // removed at start
    auto before = ct_test::http_get(server.port(), "/static/files_cache/big.bin");
    ASSERT_TRUE(before);
    EXPECT_EQ(before->status, 404);

    ASSERT_TRUE(eventually_state(server.port(), "big.bin", "cached")) << server_log(server);
    auto after = ct_test::http_get(server.port(), "/static/files_cache/big.bin");
    ASSERT_TRUE(after);
    EXPECT_TRUE(after->body == body) << "the refilled copy differs from the origin's file";
    EXPECT_TRUE(temp_files(cache.path()).empty());
}

}  // namespace
}  // namespace fill_it
