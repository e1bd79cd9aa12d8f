// The hard cap on the real binary: a flood of misses never takes the cache
// directory over --max-cache-size on disk, while files do get cached; a file
// larger than the cap is refused once, with the reason in /verify; and a
// response sending a file that gets evicted still sends every byte.
#include <gtest/gtest.h>

#include <sys/socket.h>

#include <atomic>
#include <regex>
#include <thread>

#include "fill_support.hpp"
#include "support/disk_usage.hpp"

namespace fill_it {
namespace {

using ct_test::CacheTierServer;
using ct_test::TempDir;

constexpr std::uint64_t kMiB = 1 << 20;
constexpr std::uint64_t kCap = 10 * kMiB;  // --max-cache-size 10M
// 1 MB files: ten of them fit in 10 MiB by their length alone, but not with
// their records and folders; the cap has to count those too.
constexpr std::uint64_t kFileSize = 1'000'000;

std::string fmt_name(int i) {
    char name[16];
    std::snprintf(name, sizeof name, "f%03d.bin", i);
    return name;
}

// Fills that ended, as the server logged them: "fill f007.bin: 1048576 bytes (0.01 s)" or "...: failed (...)".
struct FillEnds {
    int cached = 0;
    int failed = 0;
};
FillEnds fill_ends(const std::string& log) {
    static const std::regex line(R"(fill f\d{3}\.bin: (\d+ bytes \(|failed))");
    FillEnds ends;
    for (std::sregex_iterator it(log.begin(), log.end(), line), end; it != end; ++it)
        ((*it)[1].str() == "failed" ? ends.failed : ends.cached) += 1;
    return ends;
}

TEST(FillCap, AFloodOfMissesNeverTakesTheCacheOverTheCapAndFilesGetCached) {
    TempDir origin, cache;
    world_readable(origin.path());
    // 200 distinct names of 1 MB each (hard links: one file's bytes on the origin's disk).
    ct_test::write_file(origin / "f000.bin", ct_test::random_bytes(kFileSize, 7));
    fs::permissions(origin / "f000.bin", fs::perms::owner_read | fs::perms::owner_write | fs::perms::others_read |
                                             fs::perms::group_read);
    for (int i = 1; i < 200; ++i) fs::create_hard_link(origin / "f000.bin", origin / fmt_name(i));
    ct_test::Nginx nginx(origin.path());
    CacheTierServer server(cache.path(), {"--origin", nginx.base_url() + "/", "--max-cache-size", "10M"});
    const int port = server.port();

    // The cache directory's whole size, every 50 ms, from before the flood until it is over.
    std::atomic<bool> sampling{true};
    std::uint64_t max_allocated = 0, max_apparent = 0, samples = 0;
    std::thread sampler([&] {
        while (sampling) {
            const auto usage = ct_test::measure_disk_usage(cache.path());
            max_allocated = std::max(max_allocated, usage.allocated);
            max_apparent = std::max(max_apparent, usage.apparent);
            ++samples;
            std::this_thread::sleep_for(50ms);
        }
    });

    // 200 concurrent misses: 20 clients, 10 names each, all at once.
    std::atomic<int> answered{0};
    std::vector<std::thread> clients;
    for (int c = 0; c < 20; ++c)
        clients.emplace_back([&, c] {
            for (int i = c * 10; i < c * 10 + 10; ++i)
                if (verify(port, fmt_name(i)).is_object()) ++answered;
        });
    for (auto& t : clients) t.join();
    const bool all_ended = ct_test::eventually(
        [&] {
            auto ends = fill_ends(server_log(server));
            return ends.cached + ends.failed >= 200;
        },
        240s, 100ms);
    sampling = false;
    sampler.join();
    ASSERT_TRUE(all_ended) << server_log(server).substr(0, 20000);
    EXPECT_EQ(answered.load(), 200);

    EXPECT_GE(samples, 5u);
    // The cap bounds the allocated size (st_blocks); the apparent size is smaller still.
    EXPECT_LE(max_allocated, kCap) << "cache directory took " << max_allocated << " bytes on disk";
    EXPECT_LE(max_apparent, kCap);
    const auto end = ct_test::measure_disk_usage(cache.path());
    EXPECT_LE(end.allocated, kCap);

    // Every fill fits once older files make room: all 200 were cached (and most evicted since).
    const auto ends = fill_ends(server_log(server));
    EXPECT_EQ(ends.cached, 200) << server_log(server).substr(0, 20000);
    EXPECT_EQ(ends.failed, 0);
    int cached_now = 0;
    for (int i = 0; i < 200; ++i) {
        if (!fs::exists(cache / fmt_name(i))) continue;
        ++cached_now;
        EXPECT_EQ(fs::file_size(cache / fmt_name(i)), kFileSize);
    }
    // 10 MiB holds eight or nine of them with their records and folders.
    EXPECT_GE(cached_now, 5);
    EXPECT_LE(cached_now, 9);
    EXPECT_NE(server_log(server).find("least recently used file(s)"), std::string::npos);
    std::printf("flood: %llu samples, at most %llu bytes allocated (%llu apparent) under a cap of %llu; %d files cached at the end\n",
                static_cast<unsigned long long>(samples), static_cast<unsigned long long>(max_allocated),
                static_cast<unsigned long long>(max_apparent), static_cast<unsigned long long>(kCap), cached_now);
}

TEST(FillCap, AFileLargerThanTheCapIsRefusedOnceAndVerifySaysWhy) {
    TempDir origin, cache;
    ct_test::write_file(origin / "huge.bin", ct_test::random_bytes(12 * kMiB, 3));         // over the cap
    ct_test::write_file(origin / "nearly.bin", ct_test::random_bytes(kCap - 1000, 4));     // not with its record
    CacheTierServer server(cache.path(), {"--origin", "file://" + origin.path().string(), "--max-cache-size", "10M"});
    const int port = server.port();
    for (const std::string name : {"huge.bin", "nearly.bin"}) {
        nlohmann::json answer;
        ASSERT_TRUE(ct_test::eventually(
            [&] {
                answer = verify(port, name);
                return answer.is_object() && answer["error_msg"].is_string();
            },
            20s, 100ms))
            << server_log(server);
        EXPECT_EQ(answer.value("available", true), false);
        EXPECT_EQ(answer.value("error", false), true) << answer.dump();
        EXPECT_EQ(answer["error_msg"].get<std::string>(), "file is larger than the cache (max_cache_size 10485760 bytes)");
        // Asked again and again: the same answer, no new fetch.
        for (int i = 0; i < 10; ++i) {
            auto again = verify(port, name);
            EXPECT_EQ(again.value("error_msg", ""), answer["error_msg"].get<std::string>());
        }
        // Users go to the origin.
        auto download = ct_test::http_get(port, "/download/" + name);
        ASSERT_TRUE(download);
        EXPECT_EQ(download->status, 302);
        EXPECT_TRUE(download->header("Location").starts_with("file://")) << download->header("Location");
        EXPECT_FALSE(fs::exists(cache / name));
    }
    const std::string log = server_log(server);
    for (const std::string name : {"huge.bin", "nearly.bin"}) {
        std::size_t fetches = 0;
        for (std::size_t at = 0; (at = log.find("fill " + name + ": fetching", at)) != std::string::npos; ++at) ++fetches;
        EXPECT_EQ(fetches, 1u) << name << "\n" << log;
    }
    EXPECT_TRUE(temp_files(cache.path()).empty());
    EXPECT_LE(ct_test::disk_usage(cache.path()), kCap);
}

TEST(FillCap, ADownloadOfAFileEvictedMidWayGetsEveryByte) {
    TempDir origin, cache;
    // Far larger than the socket buffers of both ends hold: its response stays in flight.
    const std::string big = ct_test::random_bytes(32 * kMiB, 11);
    ct_test::write_file(origin / "big.bin", big);
    ct_test::write_file(origin / "push.bin", ct_test::random_bytes(20 * kMiB, 12));
    CacheTierServer server(cache.path(), {"--origin", "file://" + origin.path().string(), "--max-cache-size", "48M"});
    const int port = server.port();
    ASSERT_TRUE(eventually_state(port, "big.bin", "cached")) << server_log(server);

    ct_test::Connection reader(port);
    ASSERT_TRUE(reader.send(ct_test::make_request("GET", ct_test::static_url("big.bin"))));
    std::string received;
    ASSERT_TRUE(ct_test::recv_until(reader.fd(), "\r\n\r\n", received, 10s));
    const auto head_end = received.find("\r\n\r\n") + 4;
    ASSERT_TRUE(received.starts_with("HTTP/1.1 200")) << received.substr(0, head_end);
    std::string body = received.substr(head_end);
    ct_test::recv_bytes(reader.fd(), kMiB - body.size(), &body, 10s);
    ASSERT_EQ(body.size(), kMiB);

    // push.bin needs room that only evicting big.bin gives (32 + 20 MiB > 48 MiB).
    ASSERT_TRUE(eventually_state(port, "push.bin", "cached")) << server_log(server);
    ASSERT_FALSE(fs::exists(cache / "big.bin")) << server_log(server);

    ct_test::recv_bytes(reader.fd(), big.size() - body.size(), &body, 60s);
    ASSERT_EQ(body.size(), big.size());
    EXPECT_TRUE(body == big) << "the evicted file's response changed";
}

}  // namespace
}  // namespace fill_it
