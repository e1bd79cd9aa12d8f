#pragma once
// The cache's size on disk and the room fills reserve in it: what is counted,
// notes of use, and least-recently-used eviction to keep under max_cache_size
// and above min_free (the choice itself is eviction.hpp's). Private to src/fill.
//
// What is counted, in bytes allocated on disk (st_blocks * 512, at least the
// apparent size): every regular file beneath the cache directory (cached
// copies, copies an operator dropped in, the metadata records and any other
// file in the state folder), and every folder. A cached copy is counted
// together with its metadata record. A fill in progress holds a reservation
// instead (see SpaceReservation), taken before its first byte is written, so
// the counted bytes plus the reservations are never over the cap.
#include <sys/stat.h>

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "common/clock.hpp"
#include "common/result.hpp"
#include "fill/eviction.hpp"
#include "fill/file_table.hpp"
#include "store/metadata.hpp"

namespace cache_tier::fill {

// The cache's file system, as statvfs sees it.
struct FileSystemSpace {
    std::uint64_t available = 0;  // bytes an unprivileged writer may still use (f_bavail)
    std::uint64_t size = 0;       // bytes in all (f_blocks)
};
// Reads it; nothing when it cannot. Injectable so that tests need not fill a disk.
using SpaceProbe = std::function<std::optional<FileSystemSpace>()>;
SpaceProbe statvfs_probe(int dir_fd);

struct SpaceLimits {
    std::uint64_t max_bytes = 0;       // max_cache_size; 0: no cap
    std::uint64_t min_free_bytes = 0;  // min_free; 0 (and no percentage): no floor
    double min_free_percent = 0;       // min_free as a share of the file system, when above 0
};

class CacheAccounting {
public:
    // With neither a cap nor a floor, nothing is counted, reserved or evicted.
    CacheAccounting(SpaceLimits limits, std::filesystem::path cache_dir, int cache_dir_fd, FileTable& table,
                    const store::MetadataStore& records, const Clock& clock, SpaceProbe probe = {});

    bool active() const { return limits_.max_bytes > 0 || has_floor(); }
    bool limited() const { return limits_.max_bytes > 0; }
    std::uint64_t limit() const { return limits_.max_bytes; }
    std::uint64_t block_size() const { return block_; }
    // Counted bytes: files with their records, folders, other state files.
    std::uint64_t bytes() const { return bytes_.load() + overhead_.load(); }
    std::uint64_t files() const { return files_.load(); }
    std::uint64_t reserved_bytes() const { return reserved_.load(); }
    std::uint64_t evictions() const { return evictions_.load(); }
    // min_free in bytes now (a percentage is taken of the file system's size); 0: none.
    std::uint64_t min_free() const;

    // At start (the temporary folder already emptied): count everything
    // beneath the cache directory. Symbolic links are neither followed nor counted.
    void count_existing_files();

    // After a fill placed `local` and saved its record: their size on disk,
    // to count(); the folders they live in are measured again.
    std::uint64_t measure_fill(const std::string& local);

    // These three with the entry's shard locked.
    void count(Entry& entry, std::uint64_t size);
    void uncount(Entry& entry);
    void note_use(FileTable::Locked& shard, const std::string& local);

    // Is `bytes` more than the cap could ever hold, even with every cached
    // file evicted (folders and state files stay)?
    bool larger_than_cache(std::uint64_t bytes) const;
    // Room for `bytes` more on disk, for a fill in progress: evicts least
    // recently used files (never one being filled) when the cap or the free
    // space floor asks for it. An Error (nothing reserved, nothing evicted in
    // vain) says why there is no room. Never with a shard locked.
    Status reserve(std::uint64_t bytes);
    void release(std::uint64_t bytes);

    // At start: evict least recently used files down to the cap.
    void evict_if_over_limit();

private:
    bool has_floor() const { return limits_.min_free_bytes > 0 || limits_.min_free_percent > 0; }
    std::uint64_t allocated(const struct stat& st) const;
    void measure_dir(const std::string& relative);  // with mutex_ held
    std::uint64_t evict_lru(std::uint64_t to_free, bool all_or_nothing, std::size_t& evicted);  // with mutex_ held
    std::optional<std::uint64_t> evict(const CachedFile& file);

    const SpaceLimits limits_;
    const std::filesystem::path cache_dir_;
    const int cache_dir_fd_;
    FileTable& table_;
    const store::MetadataStore& records_;
    const Clock& clock_;
    const SpaceProbe probe_;
    std::uint64_t block_ = 4096;             // the file system's allocation unit
    std::atomic<std::uint64_t> bytes_{0};    // sum of the counted entries' sizes
    std::atomic<std::uint64_t> files_{0};    // counted entries
    std::atomic<std::uint64_t> overhead_{0}; // folders and state files that belong to no entry
    std::atomic<std::uint64_t> reserved_{0};
    std::atomic<std::uint64_t> evictions_{0};
    std::mutex mutex_;  // reservations and evictions one at a time, and the folders; lock order: before any shard
    std::map<std::string, std::uint64_t> dirs_;  // folder (relative; "" the cache directory) -> bytes, under mutex_
    std::uint64_t stray_bytes_ = 0;              // state files of no entry, counted at start; under mutex_
};

// Rounded up to whole blocks of `block` bytes.
constexpr std::uint64_t whole_blocks(std::uint64_t bytes, std::uint64_t block) {
    return bytes / block * block + (bytes % block ? block : 0);
}

}  // namespace cache_tier::fill
