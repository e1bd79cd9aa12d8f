#pragma once
// Which cached files to delete when the cache outgrows its size limit: the
// least recently used ones, until the total is back under a low watermark
// (so that eviction does not run again on the very next fill). Pure logic;
// the fill engine does the unlinking.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace cache_tier::fill {

struct CachedFile {
    std::string name;            // local name, relative to the cache directory
    std::uint64_t size = 0;      // bytes counted in the cache's total
    std::int64_t last_used = 0;  // any monotone time (the engine uses ns since the epoch)
    bool pinned = false;         // never evicted: being filled, or just filled
};

// Eviction brings the total down to 90% of the limit.
constexpr std::uint64_t low_watermark(std::uint64_t limit) { return limit / 10 * 9 + limit % 10 * 9 / 10; }

// Indexes into `files` of the files to evict, least recently used first (ties:
// by name, so the choice does not depend on the order of `files`). Nothing
// when `limit` is 0 (no limit) or `total` is not over it; otherwise unpinned
// files until `total` minus their sizes is at most low_watermark(limit), or
// every unpinned file if even that is not enough.
std::vector<std::size_t> choose_victims(std::span<const CachedFile> files, std::uint64_t total, std::uint64_t limit);

}  // namespace cache_tier::fill
