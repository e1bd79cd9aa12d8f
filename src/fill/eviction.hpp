#pragma once
// Which cached files to delete to make room: the least recently used ones,
// just enough of them. Pure logic; CacheAccounting does the unlinking.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace cache_tier::fill {

struct CachedFile {
    std::string name;            // local name, relative to the cache directory
    std::uint64_t size = 0;      // bytes counted in the cache's total
    std::int64_t last_used = 0;  // any monotone time (the engine uses ns since the epoch)
    bool pinned = false;         // never evicted: being filled or revalidated
};

// Indexes into `files` of the files whose eviction frees at least `to_free`
// bytes: unpinned files, least recently used first (ties: by name, so the
// choice does not depend on the order of `files`), no more than needed.
// Nothing to evict when `to_free` is 0; no answer at all when even every
// unpinned file together is not enough (then evicting any would be in vain).
std::optional<std::vector<std::size_t>> choose_victims(std::span<const CachedFile> files, std::uint64_t to_free);

}  // namespace cache_tier::fill
