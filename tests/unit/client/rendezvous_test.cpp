// Rendezvous hashing: every client agrees on a file's node, files spread
// evenly, and a node leaving or joining moves only its own share.
#include "client/rendezvous.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

namespace cache_tier::client {
namespace {

std::vector<std::string> make_nodes(std::size_t count) {
    std::vector<std::string> nodes;
    for (std::size_t i = 0; i < count; ++i) nodes.push_back("http://10.0.0." + std::to_string(i + 1) + ":8080");
    return nodes;
}

std::string key(int i) { return "podcast/episode-" + std::to_string(i) + ".mp3"; }

const std::string& home(const std::vector<std::string>& nodes, const std::string& k) {
    return nodes[rendezvous_order(nodes, k).front()];
}

constexpr int key_count = 20000;

TEST(Rendezvous, WeightIsFixedAcrossBuildsAndProcesses) {
    // Clients built at different times must agree with each other: this value
    // may never change, or a cluster's files would move when clients upgrade.
    EXPECT_EQ(rendezvous_weight("http://10.0.0.1:8080", "some_big_file.mp3"), 3834842900794938026ULL);
    EXPECT_EQ(rendezvous_weight("http://10.0.0.1:8080", "some_big_file.mp3"),
              rendezvous_weight("http://10.0.0.1:8080", "some_big_file.mp3"));
}

TEST(Rendezvous, NodeAndKeyBoundaryMatters) {
    EXPECT_NE(rendezvous_weight("ab", "c"), rendezvous_weight("a", "bc"));
}

TEST(Rendezvous, OrderIsAPermutationOfAllNodes) {
    const auto nodes = make_nodes(5);
    auto order = rendezvous_order(nodes, "x");
    ASSERT_EQ(order.size(), nodes.size());
    std::sort(order.begin(), order.end());
    for (std::size_t i = 0; i < order.size(); ++i) EXPECT_EQ(order[i], i);
}

TEST(Rendezvous, EmptyClusterGivesEmptyOrder) {
    EXPECT_TRUE(rendezvous_order({}, "x").empty());
}

TEST(Rendezvous, SingleNodeHoldsEverything) {
    const auto nodes = make_nodes(1);
    for (int i = 0; i < 100; ++i) EXPECT_EQ(rendezvous_order(nodes, key(i)).front(), 0u);
}

TEST(Rendezvous, HomeDoesNotDependOnTheOrderNodesAreListedIn) {
    const auto nodes = make_nodes(4);
    auto reversed = nodes;
    std::reverse(reversed.begin(), reversed.end());
    for (int i = 0; i < 1000; ++i) EXPECT_EQ(home(nodes, key(i)), home(reversed, key(i))) << key(i);
}

class RendezvousCluster : public ::testing::TestWithParam<std::size_t> {};

TEST_P(RendezvousCluster, SpreadsKeysEvenly) {
    const auto nodes = make_nodes(GetParam());
    std::map<std::string, int> per_node;
    for (int i = 0; i < key_count; ++i) ++per_node[home(nodes, key(i))];
    const double expected = static_cast<double>(key_count) / static_cast<double>(nodes.size());
    ASSERT_EQ(per_node.size(), nodes.size()) << "a node got no key at all";
    for (const auto& [node, count] : per_node) {
        EXPECT_GT(count, expected * 0.9) << node;
        EXPECT_LT(count, expected * 1.1) << node;
    }
}

TEST_P(RendezvousCluster, RemovingANodeMovesOnlyItsKeys) {
    const auto nodes = make_nodes(GetParam());
    for (std::size_t removed = 0; removed < nodes.size(); ++removed) {
        auto remaining = nodes;
        remaining.erase(remaining.begin() + static_cast<std::ptrdiff_t>(removed));
        for (int i = 0; i < 2000; ++i) {
            const auto before = rendezvous_order(nodes, key(i));
            const std::string& now = home(remaining, key(i));
            if (before[0] != removed)
                EXPECT_EQ(now, nodes[before[0]]) << key(i) << " moved though its node stayed";
            else
                EXPECT_EQ(now, nodes[before[1]]) << key(i) << " did not move to its second choice";
        }
    }
}

TEST_P(RendezvousCluster, AddingANodeMovesKeysOnlyToIt) {
    const auto nodes = make_nodes(GetParam());
    auto grown = make_nodes(GetParam() + 1);
    int moved = 0;
    for (int i = 0; i < key_count; ++i) {
        const std::string& before = home(nodes, key(i));
        const std::string& after = home(grown, key(i));
        if (before == after) continue;
        ++moved;
        EXPECT_EQ(after, grown.back()) << key(i);
    }
    // The new node takes about its fair share, 1/(n+1) of the keys.
    const double fair = static_cast<double>(key_count) / static_cast<double>(grown.size());
    EXPECT_GT(moved, fair * 0.9);
    EXPECT_LT(moved, fair * 1.1);
}

INSTANTIATE_TEST_SUITE_P(NodeCounts, RendezvousCluster, ::testing::Values(2, 3, 5, 8));

}  // namespace
}  // namespace cache_tier::client
