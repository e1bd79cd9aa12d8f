// Down nodes are remembered for a while, then asked again.
#include "client/node_health.hpp"

#include <gtest/gtest.h>

#include <string>

namespace cache_tier::client {
namespace {

using namespace std::chrono_literals;
using Clock = NodeHealth::Clock;

TEST(NodeHealth, RemembersADownNodeForThePeriod) {
    NodeHealth health;
    const auto t0 = Clock::now();
    EXPECT_FALSE(health.is_down("http://a", t0));
    health.mark_down("http://a", 30s, t0);
    EXPECT_TRUE(health.is_down("http://a", t0 + 29s));
    EXPECT_FALSE(health.is_down("http://a", t0 + 30s));
    EXPECT_FALSE(health.is_down("http://b", t0));
}

TEST(NodeHealth, ZeroPeriodRemembersNothing) {
    NodeHealth health;
    health.mark_down("http://a", 0ms);
    EXPECT_FALSE(health.is_down("http://a"));
}

TEST(NodeHealth, MarkUpForgetsAtOnce) {
    NodeHealth health;
    health.mark_down("http://a", 30s);
    health.mark_up("http://a");
    EXPECT_FALSE(health.is_down("http://a"));
}

TEST(NodeHealth, StaysBounded) {
    NodeHealth health(4);
    const auto t0 = Clock::now();
    for (int i = 0; i < 10; ++i) health.mark_down("http://n" + std::to_string(i), std::chrono::seconds(100 + i), t0);
    int down = 0;
    for (int i = 0; i < 10; ++i) down += health.is_down("http://n" + std::to_string(i), t0) ? 1 : 0;
    EXPECT_EQ(down, 4);
    // The latest one is always kept.
    EXPECT_TRUE(health.is_down("http://n9", t0));
}

}  // namespace
}  // namespace cache_tier::client
