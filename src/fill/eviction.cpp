#include "fill/eviction.hpp"

#include <algorithm>

namespace cache_tier::fill {

std::vector<std::size_t> choose_victims(std::span<const CachedFile> files, std::uint64_t total, std::uint64_t limit) {
    std::vector<std::size_t> victims;
    if (limit == 0 || total <= limit) return victims;

    std::vector<std::size_t> candidates;
    for (std::size_t i = 0; i < files.size(); ++i)
        if (!files[i].pinned) candidates.push_back(i);
    std::sort(candidates.begin(), candidates.end(), [&files](std::size_t a, std::size_t b) {
        if (files[a].last_used != files[b].last_used) return files[a].last_used < files[b].last_used;
        return files[a].name < files[b].name;
    });

    const std::uint64_t target = low_watermark(limit);
    for (std::size_t i : candidates) {
        if (total <= target) break;
        victims.push_back(i);
        // A size above the total means the caller's records disagree; never wrap around.
        total -= std::min(total, files[i].size);
    }
    return victims;
}

}  // namespace cache_tier::fill
