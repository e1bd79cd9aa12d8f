#include "client/rendezvous.hpp"

#include <algorithm>
#include <numeric>

namespace cache_tier::client {

namespace {

constexpr std::uint64_t fnv_offset = 0xcbf29ce484222325ULL;
constexpr std::uint64_t fnv_prime = 0x100000001b3ULL;

std::uint64_t fnv1a(std::uint64_t hash, std::string_view bytes) {
    for (unsigned char c : bytes) {
        hash ^= c;
        hash *= fnv_prime;
    }
    return hash;
}

// FNV-1a alone spreads similar inputs ("node1", "node2") poorly over the high
// bits; the MurmurHash3 finaliser makes every input bit affect every output bit.
std::uint64_t mix(std::uint64_t h) {
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return h;
}

}  // namespace

std::uint64_t rendezvous_weight(std::string_view node, std::string_view key) {
    // The length prefix keeps ("ab", "c") and ("a", "bc") apart.
    std::uint64_t h = fnv1a(fnv_offset, std::to_string(node.size()));
    h = fnv1a(h, ":");
    h = fnv1a(h, node);
    h = fnv1a(h, key);
    return mix(h);
}

std::vector<std::size_t> rendezvous_order(std::span<const std::string> nodes, std::string_view key) {
    std::vector<std::uint64_t> weights;
    weights.reserve(nodes.size());
    for (const auto& node : nodes) weights.push_back(rendezvous_weight(node, key));

    std::vector<std::size_t> order(nodes.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t a, std::size_t b) { return weights[a] > weights[b]; });
    return order;
}

}  // namespace cache_tier::client
