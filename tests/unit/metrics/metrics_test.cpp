// The metrics module: per-thread counters summed exactly, histograms, and the
// text exposition format's escaping.
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "metrics/exposition.hpp"
#include "metrics/registry.hpp"

namespace cache_tier::metrics {
namespace {

TEST(Counter, SumsEveryThreadsCountsAlsoAfterTheThreadsEnded) {
    Counter c;
    CounterArray a(3);
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t)
        threads.emplace_back([&, t] {
            for (int i = 0; i < 10000; ++i) c.add();
            a.add(static_cast<std::size_t>(t % 3), 2);
        });
    for (auto& t : threads) t.join();
    c.add(5);
    EXPECT_EQ(c.value(), 80005u);
    EXPECT_EQ(a.values(), (std::vector<std::uint64_t>{6, 6, 4}));
    // A new thread reuses an ended thread's block: the sums stay exact.
    std::thread([&] { c.add(1); }).join();
    EXPECT_EQ(c.value(), 80006u);
}

TEST(Histogram, BucketsAreCumulativeUpperBoundsAndTheSumIsInSeconds) {
    Histogram h({0.1, 1, 10});
    for (double s : {0.05, 0.1, 0.5, 3.0, 100.0}) h.observe(s);
    const auto snap = h.snapshot();
    EXPECT_EQ(snap.cumulative, (std::vector<std::uint64_t>{2, 3, 4, 5}));
    EXPECT_EQ(snap.count(), 5u);
    EXPECT_NEAR(snap.sum, 103.65, 1e-6);
}

TEST(Exposition, WritesHelpTypeAndEscapedLabelValues) {
    std::string out;
    Exposition x(out);
    x.family("t_total", "counter", "a \\ help\nline");
    x.sample("t_total", {{"name", "a\"b\\c\nd"}, {"code", "200"}}, std::uint64_t{7});
    x.sample("t_ratio", {}, 0.25);
    EXPECT_EQ(out,
              "# HELP t_total a \\\\ help\\nline\n# TYPE t_total counter\n"
              "t_total{name=\"a\\\"b\\\\c\\nd\",code=\"200\"} 7\nt_ratio 0.25\n");
    EXPECT_EQ(format_value(1.0 / 0.0), "+Inf");
    EXPECT_EQ(format_value(300), "300");
}

}  // namespace
}  // namespace cache_tier::metrics
