#include "fill/backoff.hpp"

#include <gtest/gtest.h>

namespace cache_tier::fill {
namespace {

using namespace std::chrono_literals;

TEST(Backoff, StartsAtRetryMinAndDoubles) {
    EXPECT_EQ(backoff_delay(1, 5s, 600s), 5s);
    EXPECT_EQ(backoff_delay(2, 5s, 600s), 10s);
    EXPECT_EQ(backoff_delay(3, 5s, 600s), 20s);
    EXPECT_EQ(backoff_delay(7, 5s, 600s), 320s);
}

TEST(Backoff, NeverPassesRetryMax) {
    EXPECT_EQ(backoff_delay(8, 5s, 600s), 600s);
    EXPECT_EQ(backoff_delay(1000000, 5s, 600s), 600s);  // no overflow however long it fails
}

TEST(Backoff, RetryMaxBelowRetryMinMeansRetryMin) { EXPECT_EQ(backoff_delay(3, 30s, 10s), 30s); }

TEST(Backoff, ZeroMeansRetryAtOnce) { EXPECT_EQ(backoff_delay(5, 0s, 600s), 0s); }

}  // namespace
}  // namespace cache_tier::fill
