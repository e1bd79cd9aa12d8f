#pragma once
// Rendezvous (highest random weight) hashing: which node of a cluster holds a
// key. Every client computes the same answer without talking to the others,
// and removing a node moves only the keys that node held.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace cache_tier::client {

// The weight of `key` on `node`: a 64-bit hash of both, the same on every
// platform and in every process.
std::uint64_t rendezvous_weight(std::string_view node, std::string_view key);

// Indices of `nodes`, highest weight for `key` first: the first is the key's
// home, the next ones its fail-over order. Ties (never seen in practice) go to
// the lower index so the order stays deterministic.
std::vector<std::size_t> rendezvous_order(std::span<const std::string> nodes, std::string_view key);

}  // namespace cache_tier::client
