// The process-wide status cache: remembers answers, stays bounded, and holds
// up under many threads.
#include "client/status_cache.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

namespace cache_tier::client {
namespace {

using namespace std::chrono_literals;
using Clock = StatusCache::Clock;

TEST(StatusCache, RemembersTheLastAnswerAndWhen) {
    StatusCache cache(100, 4);
    const auto t0 = Clock::now();
    EXPECT_FALSE(cache.find("a.mp3"));
    cache.store("a.mp3", false, t0);
    cache.store("a.mp3", true, t0 + 5s);
    const auto entry = cache.find("a.mp3");
    ASSERT_TRUE(entry);
    EXPECT_TRUE(entry->available);
    EXPECT_EQ(entry->fetched_at, t0 + 5s);
    EXPECT_EQ(cache.size(), 1u);
}

TEST(StatusCache, WhenFullDropsTheAnswerFetchedLongestAgo) {
    StatusCache cache(3, 1);
    const auto t0 = Clock::now();
    cache.store("a", true, t0);
    cache.store("b", true, t0 + 1s);
    cache.store("c", true, t0 + 2s);
    cache.store("a", true, t0 + 3s);  // refreshed: now the youngest
    cache.store("d", true, t0 + 4s);
    EXPECT_TRUE(cache.find("a"));
    EXPECT_FALSE(cache.find("b"));
    EXPECT_TRUE(cache.find("c"));
    EXPECT_TRUE(cache.find("d"));
    EXPECT_EQ(cache.size(), 3u);
}

TEST(StatusCache, NeverHoldsMoreThanItsCapacity) {
    StatusCache cache(100, 16);
    EXPECT_LE(cache.capacity(), 100u);
    for (int i = 0; i < 10000; ++i) cache.store("file-" + std::to_string(i), i % 2 == 0);
    EXPECT_LE(cache.size(), cache.capacity());
    EXPECT_GT(cache.size(), 0u);
}

TEST(StatusCache, SharedCacheHasTheDocumentedBound) {
    EXPECT_EQ(shared_status_cache().capacity(), StatusCache::default_capacity);
    EXPECT_EQ(&shared_status_cache(), &shared_status_cache());
}

TEST(StatusCache, ManyThreadsStoreAndFindSafely) {
    StatusCache cache(500, 16);
    std::atomic<int> wrong{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < 5000; ++i) {
                // Each key's answer is fixed, so any answer read back must match it.
                const int k = (i * 7 + t) % 1000;
                const std::string key = "file-" + std::to_string(k);
                cache.store(key, k % 3 == 0);
                if (auto entry = cache.find(key); entry && entry->available != (k % 3 == 0)) ++wrong;
            }
        });
    }
    for (auto& thread : threads) thread.join();
    EXPECT_EQ(wrong.load(), 0);
    EXPECT_LE(cache.size(), cache.capacity());
}

}  // namespace
}  // namespace cache_tier::client
