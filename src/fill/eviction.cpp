#include "fill/eviction.hpp"

#include <algorithm>

namespace cache_tier::fill {

std::optional<std::vector<std::size_t>> choose_victims(std::span<const CachedFile> files, std::uint64_t to_free) {
    std::vector<std::size_t> victims;
    if (to_free == 0) return victims;

    std::vector<std::size_t> candidates;
    for (std::size_t i = 0; i < files.size(); ++i)
        if (!files[i].pinned) candidates.push_back(i);
    std::sort(candidates.begin(), candidates.end(), [&files](std::size_t a, std::size_t b) {
        if (files[a].last_used != files[b].last_used) return files[a].last_used < files[b].last_used;
        return files[a].name < files[b].name;
    });

    std::uint64_t freed = 0;
    for (std::size_t i : candidates) {
        if (freed >= to_free) break;
        victims.push_back(i);
        freed += files[i].size;
    }
    if (freed < to_free) return std::nullopt;
    return victims;
}

}  // namespace cache_tier::fill
