// The real binary with --max-cache-size: past the limit the least recently
// used file is evicted from disk, stops being served, and a later /verify
// fills it again.
#include <gtest/gtest.h>

#include "fill_support.hpp"

namespace fill_it {
namespace {

using ct_test::CacheTierServer;
using ct_test::TempDir;

int static_status(int port, const std::string& encoded_name) {
    auto response = ct_test::http_get(port, ct_test::static_url(encoded_name));
    return response ? response->status : -1;
}

TEST(FillEviction, TheLeastRecentlyUsedFileIsEvictedAndFilledAgainOnDemand) {
    TempDir origin, cache;
    for (const char* name : {"One.bin", "Two.bin", "Three.bin"})
        ct_test::write_file(origin / name, ct_test::random_bytes(100000, name[1]));
    // Two 100 kB files (with their records and folders) fit in 300 kB, three do not.
    CacheTierServer server(cache.path(), {"--origin", "file://" + origin.path().string(), "--max-cache-size", "300000"});
    const int port = server.port();

    ASSERT_TRUE(eventually_state(port, "One.bin", "cached")) << server_log(server);
    ASSERT_TRUE(eventually_state(port, "Two.bin", "cached")) << server_log(server);
    // One is asked for again, as a page view would: Two is now the least recently used.
    ASSERT_EQ(verify(port, "One.bin").value("available", false), true);
    ASSERT_TRUE(eventually_state(port, "Three.bin", "cached")) << server_log(server);

    EXPECT_FALSE(fs::exists(cache / "two.bin"));
    EXPECT_TRUE(fs::exists(cache / "one.bin"));
    EXPECT_TRUE(fs::exists(cache / "three.bin"));
    EXPECT_EQ(static_status(port, "one.bin"), 200);
    // The server's open-file cache notices the removal within about a second.
    EXPECT_TRUE(ct_test::eventually([&] { return static_status(port, "two.bin") == 404; }, 5s, 100ms));
    EXPECT_NE(server_log(server).find("evicted 1 least recently used file(s)"), std::string::npos)
        << server_log(server);

    // Asking for the evicted file says it is not there, and fills it again.
    auto again = verify(port, "Two.bin");
    ASSERT_TRUE(again.is_object());
    EXPECT_EQ(again.value("available", true), false);
    EXPECT_EQ(again.value("error", true), false);
    ASSERT_TRUE(eventually_state(port, "Two.bin", "cached")) << server_log(server);
    EXPECT_TRUE(ct_test::eventually([&] { return static_status(port, "two.bin") == 200; }, 5s, 100ms));
    EXPECT_EQ(ct_test::read_file(cache / "two.bin"), ct_test::read_file(origin / "Two.bin"));
}

TEST(FillEviction, AFileLargerThanTheCacheIsReportedAndNotCached) {
    TempDir origin, cache;
    ct_test::write_file(origin / "huge.bin", ct_test::random_bytes(50000));
    CacheTierServer server(cache.path(), {"--origin", "file://" + origin.path().string(), "--max-cache-size", "10000"});
    nlohmann::json answer;
    ASSERT_TRUE(ct_test::eventually(
        [&] {
            answer = verify(server.port(), "huge.bin");
            return answer.is_object() && answer["error_msg"].is_string();
        },
        10s, 100ms))
        << server_log(server);
    EXPECT_EQ(answer.value("available", true), false);
    EXPECT_NE(answer["error_msg"].get<std::string>().find("larger than the cache (max_cache_size 10000 bytes)"),
              std::string::npos)
        << answer.dump();
    EXPECT_FALSE(fs::exists(cache / "huge.bin"));
}

}  // namespace
}  // namespace fill_it
