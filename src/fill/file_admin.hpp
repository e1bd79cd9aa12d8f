#pragma once
// The admin API's operations on the cache: listing the cached files and
// purging them. Private to src/fill; FillEngine's list_cached/purge/purge_prefix.
#include <cstddef>
#include <string>
#include <string_view>

#include "common/clock.hpp"
#include "fill/cache_accounting.hpp"
#include "fill/file_table.hpp"
#include "fill/fill_engine.hpp"
#include "store/metadata.hpp"

namespace cache_tier::fill {

// The parts of the engine these operations work on.
struct CacheParts {
    FileTable& table;
    const store::MetadataStore& records;
    CacheAccounting& accounting;
    int cache_dir_fd;
    const Clock& clock;
};

CachedFilePage list_cached(CacheParts& parts, std::string_view prefix, std::string_view after, std::size_t limit);
PurgeOutcome purge(CacheParts& parts, const std::string& local);
std::size_t purge_prefix(CacheParts& parts, std::string_view prefix);

}  // namespace cache_tier::fill
