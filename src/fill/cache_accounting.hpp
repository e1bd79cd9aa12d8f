#pragma once
// The cache's size: what is counted, notes of use, and least-recently-used
// eviction when a size limit is set (the choice itself is eviction.hpp's).
// Private to src/fill.
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>

#include "common/clock.hpp"
#include "fill/eviction.hpp"
#include "fill/file_table.hpp"
#include "store/metadata.hpp"

namespace cache_tier::fill {

class CacheAccounting {
public:
    // `limit` 0: no limit, nothing is counted or evicted.
    CacheAccounting(std::uint64_t limit, std::filesystem::path cache_dir, int cache_dir_fd, FileTable& table,
                    const store::MetadataStore& records, const Clock& clock);

    bool limited() const { return limit_ > 0; }
    std::uint64_t limit() const { return limit_; }
    std::uint64_t bytes() const { return bytes_.load(); }

    // At start: count every regular file in the cache directory, put there by
    // a fill or by an operator (not cache-tier's own state folder, not links).
    void count_existing_files();

    // These three with the entry's shard locked.
    void count(Entry& entry, std::uint64_t size);
    void uncount(Entry& entry);
    void note_use(FileTable::Locked& shard, const std::string& local);

    // Evict least recently used files down to the low watermark when over the
    // limit. On fill workers (and once at start), never on serving threads.
    void evict_if_over_limit(const std::string* just_filled);

private:
    std::optional<std::uint64_t> evict(const CachedFile& file);

    const std::uint64_t limit_;
    const std::filesystem::path cache_dir_;
    const int cache_dir_fd_;
    FileTable& table_;
    const store::MetadataStore& records_;
    const Clock& clock_;
    std::atomic<std::uint64_t> bytes_{0};  // sum of the counted entries' sizes
    std::mutex eviction_mutex_;            // one eviction round at a time; lock order: before any shard
};

}  // namespace cache_tier::fill
