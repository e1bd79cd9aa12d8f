// The fill engine against Debian's nginx as the HTTP origin; how many
// requests reached the origin is read from nginx's access log.
#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <latch>
#include <thread>

#include <gtest/gtest.h>

#include "unit/fill/fill_test_support.hpp"
#include "store/metadata.hpp"
#include "support/serve_helpers.hpp"

namespace fill_test {
namespace {

// /slow/ trickles (a fill there stays running for seconds); /broken/ answers 503.
const std::string kOriginConf =
    "    location /slow/ { limit_rate 100k; }\n"
    "    location /broken/ { return 503; }\n";

class FillFromNginx : public ::testing::Test {
protected:
    ct_test::TempDir origin_dir;
    ct_test::TempDir cache;
    ct_test::Nginx nginx{world_readable(origin_dir.path()), kOriginConf};
    FillOptions options = options_for(cache.path());

    std::unique_ptr<FillEngine> engine() { return std::make_unique<FillEngine>(options, origin_for(nginx.base_url())); }

    // Make the stored copy of `local` look fetched long ago.
    void age_copy(const std::string& local) {
        cache_tier::store::MetadataStore records(cache.path());
        auto meta = records.load(local);
        ASSERT_TRUE(meta);
        meta->fetched_at -= 100000;
        ASSERT_TRUE(records.save(local, *meta).ok());
    }
};

TEST_F(FillFromNginx, ManyConcurrentAsksMakeOneOriginRequest) {
    const std::string body = ct_test::random_bytes(8 << 20, 3);
    ct_test::write_file(origin_dir / "big.bin", body);
    options.workers = 4;
    auto fills = engine();

    constexpr int kThreads = 16;
    std::latch start(kThreads);
    std::atomic<int> available{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t)
        threads.emplace_back([&] {
            start.arrive_and_wait();
            for (int i = 0; i < 200; ++i)
                if (fills->ensure(name_of("big.bin")).available()) ++available;
        });
    for (auto& thread : threads) thread.join();
    ASSERT_TRUE(fills->wait_idle(30s));

    EXPECT_TRUE(fills->ensure(name_of("big.bin")).available());
    EXPECT_EQ(nginx.count_requests(" /big.bin "), 1);
    EXPECT_TRUE(ct_test::read_file(cache / "big.bin") == body) << "the cached copy differs from the origin's";
}

TEST_F(FillFromNginx, A404IsAskedOnceWithinTheNegativeTime) {
    options.negative_ttl = 3600s;
    auto fills = engine();
    FileStatus status = ensure_and_wait(*fills, "missing.mp3");
    EXPECT_EQ(status.state, FileState::not_found);
    EXPECT_NE(status.error_message.find("origin has no file 'missing.mp3' (404 Not Found)"), std::string::npos)
        << status.error_message;
    for (int i = 0; i < 50; ++i) EXPECT_EQ(fills->ensure(name_of("missing.mp3")).state, FileState::not_found);
    ASSERT_TRUE(fills->wait_idle(5s));
    EXPECT_EQ(nginx.count_requests(" /missing.mp3 "), 1);
    EXPECT_FALSE(fs::exists(cache / "missing.mp3"));
}

TEST_F(FillFromNginx, A5xxFailsAndIsNotRetriedDuringTheBackoff) {
    auto fills = engine();
    FileStatus status = ensure_and_wait(*fills, "broken/x.bin");
    EXPECT_EQ(status.state, FileState::failed);
    EXPECT_NE(status.error_message.find("503"), std::string::npos) << status.error_message;
    for (int i = 0; i < 20; ++i) EXPECT_EQ(fills->ensure(name_of("broken/x.bin")).state, FileState::failed);
    ASSERT_TRUE(fills->wait_idle(5s));
    EXPECT_EQ(nginx.count_requests(" /broken/x.bin "), 1);
    EXPECT_FALSE(fs::exists(cache / "broken/x.bin"));
    EXPECT_TRUE(temp_files(cache.path()).empty());
}

TEST_F(FillFromNginx, RevalidationAfterARestartSendsTheValidatorsAndKeepsTheCopyOn304) {
    ct_test::write_file(origin_dir / "song.mp3", "version one");
    {
        auto fills = engine();
        ASSERT_TRUE(ensure_and_wait(*fills, "song.mp3").available());
    }
    age_copy("song.mp3");
    const auto before = cache_tier::store::MetadataStore(cache.path()).load("song.mp3");

    options.revalidate_after = 60s;
    auto fills = engine();
    EXPECT_TRUE(fills->ensure(name_of("song.mp3")).available());  // stale, but served while revalidating
    ASSERT_TRUE(fills->wait_idle(10s));
    EXPECT_EQ(nginx.count_requests("GET /song.mp3 HTTP/1.1\" 304"), 1);

    const auto after = cache_tier::store::MetadataStore(cache.path()).load("song.mp3");
    ASSERT_TRUE(after);
    EXPECT_GT(after->fetched_at, before->fetched_at);
    EXPECT_EQ(after->etag, before->etag);
    // Fresh again: no further request.
    EXPECT_TRUE(fills->ensure(name_of("song.mp3")).available());
    ASSERT_TRUE(fills->wait_idle(5s));
    EXPECT_EQ(nginx.count_requests("GET /song.mp3 "), 2);
}

TEST_F(FillFromNginx, RevalidationReplacesAChangedFileWhileTheOldCopyKeepsServing) {
    ct_test::write_file(origin_dir / "news.txt", "old text");
    options.revalidate_after = 60s;
    auto fills = engine();
    ASSERT_TRUE(ensure_and_wait(*fills, "news.txt").available());
    const int old_fd = ::open((cache / "news.txt").c_str(), O_RDONLY | O_CLOEXEC);
    ASSERT_GE(old_fd, 0);

    ct_test::write_file(origin_dir / "news.txt", "the new, longer text");
    age_copy("news.txt");
    fills = engine();  // reads the aged record
    EXPECT_TRUE(fills->ensure(name_of("news.txt")).available());
    ASSERT_TRUE(fills->wait_idle(10s));

    EXPECT_EQ(ct_test::read_file(cache / "news.txt"), "the new, longer text");
    EXPECT_EQ(cache_tier::store::MetadataStore(cache.path()).load("news.txt")->size, 20u);
    char buffer[64] = {};
    EXPECT_EQ(::pread(old_fd, buffer, sizeof buffer, 0), 8);
    EXPECT_EQ(std::string(buffer), "old text");
    ::close(old_fd);
}

TEST_F(FillFromNginx, ACopyGoneFromTheOriginIsRemovedOnRevalidation) {
    ct_test::write_file(origin_dir / "retracted.txt", "x");
    options.revalidate_after = 60s;
    auto fills = engine();
    ASSERT_TRUE(ensure_and_wait(*fills, "retracted.txt").available());
    fs::remove(origin_dir / "retracted.txt");
    age_copy("retracted.txt");
    fills = engine();
    EXPECT_TRUE(fills->ensure(name_of("retracted.txt")).available());
    ASSERT_TRUE(fills->wait_idle(10s));
    EXPECT_EQ(fills->ensure(name_of("retracted.txt")).state, FileState::not_found);
    EXPECT_FALSE(fs::exists(cache / "retracted.txt"));
}

TEST_F(FillFromNginx, AFullQueueSaysSoAndShutdownAbandonsSlowTransfers) {
    for (char c = 'a'; c <= 'e'; ++c) ct_test::write_file(origin_dir / "slow" / (std::string(1, c) + ".bin"),
                                                          ct_test::random_bytes(2 << 20));
    options.workers = 1;
    options.max_queued = 2;
    auto fills = engine();
    // One running and two queued: the fourth and fifth find no room. The
    // worker must have taken the first before the others queue.
    fills->ensure(name_of("slow/a.bin"));
    ASSERT_TRUE(ct_test::eventually([&] { return !temp_files(cache.path()).empty(); }, 10s));
    for (char c : {'b', 'c'})
        EXPECT_EQ(fills->ensure(name_of("slow/" + std::string(1, c) + ".bin")).state, FileState::filling);
    for (char c : {'d', 'e'}) {
        FileStatus status = fills->ensure(name_of("slow/" + std::string(1, c) + ".bin"));
        EXPECT_EQ(status.state, FileState::queue_full);
        EXPECT_FALSE(status.available());
        EXPECT_NE(status.error_message, "");
    }
    ASSERT_TRUE(ct_test::eventually([&] { return !temp_files(cache.path()).empty(); }, 10s));

    // A 2 MB file at 100 KB/s takes 20 s; the destructor must not wait for it.
    const auto started = std::chrono::steady_clock::now();
    fills.reset();
    EXPECT_LT(std::chrono::steady_clock::now() - started, 10s);
    EXPECT_TRUE(temp_files(cache.path()).empty());
    for (char c = 'a'; c <= 'e'; ++c) EXPECT_FALSE(fs::exists(cache / "slow" / (std::string(1, c) + ".bin")));
}

}  // namespace
}  // namespace fill_test
