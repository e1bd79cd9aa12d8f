#pragma once
// The per-file state table: what the fill engine remembers of each file (by
// local name) between requests. Entries are split over shards, each behind its
// own mutex, so that verifies of different files on many server threads rarely
// wait for one another. Private to src/fill.
#include <algorithm>
#include <array>
#include <atomic>
#include <memory>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "store/metadata.hpp"
#include "store/name.hpp"
#include "store/name_index.hpp"

namespace cache_tier::http {
struct OpenFile;
}

namespace cache_tier::fill {

class FillProgress;

using steady = std::chrono::steady_clock;

// A spelling of a file's name that the origin said it does not have. The
// local copy is one per lower-case name, but the origin may be case-sensitive:
// one spelling's 404 says nothing of another's.
struct Miss {
    std::string key;           // the origin key as asked
    steady::time_point until;  // remembered until then (negative_ttl)
    std::string message;       // for the verify API's error_msg
};

// Misses remembered per file; past this the oldest is forgotten, so a client
// cycling through spellings cannot grow an entry without bound.
constexpr std::size_t kMaxMissesPerFile = 8;

// Where a file's fill stands.
enum class Phase : unsigned char {
    idle,     // no fill queued or running
    queued,   // waiting for a worker
    running,  // a worker is fetching it
};

struct Entry {
    Phase phase = Phase::idle;
    // Bumped by a purge: a fill queued or running before it is discarded (its
    // job carries the generation it was queued at).
    std::uint64_t generation = 0;
    // A purge came since the fill queued or running was queued: it will be
    // discarded. A request meanwhile is kept in `refill`, queued once it is.
    bool voided = false;
    std::optional<store::Name> refill;
    // Set while a fill runs: a purge sets it to stop the fetch (origin::FetchRequest::purged).
    std::shared_ptr<std::atomic<bool>> stop_fetch;
    steady::time_point retry_at{};  // no fetch before this (backoff after a failed fill)
    unsigned failures = 0;          // failed fills in a row, for the backoff
    std::string error_message;      // why the last fill failed; "" if it did not
    std::vector<Miss> misses;       // spellings the origin does not have, newest last
    std::optional<store::FileMeta> meta;  // set once a fill succeeded (or loaded at start)
    // Bookkeeping of the cache size limit (only with a limit; see CacheAccounting).
    bool counted = false;          // the copy's size is in the cache's total
    std::uint64_t counted_size = 0;
    std::int64_t last_used = 0;    // ns since the epoch: last ensure() that found the copy, or its fill
    // While a first fill runs: its progress, and the file as the routes serve it meanwhile.
    std::shared_ptr<FillProgress> progress;
    std::shared_ptr<const http::OpenFile> streaming_file;

    // The unexpired miss of `key`, if the origin said recently that it has no such file.
    const Miss* miss_of(std::string_view key, steady::time_point now) const;
    void remember_miss(Miss miss);

    // Nothing worth keeping: no copy known, no fill, no miss or backoff still running.
    bool forgettable(steady::time_point now) const;
};

class FileTable {
    struct alignas(64) Shard {
        std::mutex mutex;
        std::unordered_map<std::string, Entry> entries;
        std::size_t sweep_at = 1024;  // forget stale entries when the map grows past this
    };

public:
    // One shard, held locked for as long as this lives.
    class Locked {
    public:
        explicit Locked(Shard& shard) : shard_(shard), lock_(shard.mutex) {}
        // The entry of `local`, or null; no allocation (the /verify hot path).
        Entry* find(const std::string& local);
        // The entry of `local`, created if needed; entries with nothing worth
        // keeping are forgotten as the shard grows.
        Entry& get(const std::string& local, steady::time_point now);
        void erase(const std::string& local) { shard_.entries.erase(local); }

    private:
        Shard& shard_;
        std::lock_guard<std::mutex> lock_;
    };

    Locked lock(const std::string& local) { return Locked(shard_of(local)); }

    // The cached files' names in order (for listing and prefix purges), and
    // the names with a fill queued or running (for prefix purges). Changed
    // with the name's shard locked.
    store::NameIndex& names() { return names_; }
    store::NameIndex& in_flight() { return in_flight_; }

    // `fn(local, entry)` for every entry, each shard locked in turn.
    template <typename Fn>
    void for_each(Fn&& fn) {
        for (Shard& shard : shards_) {
            std::lock_guard lock(shard.mutex);
            for (auto& [local, entry] : shard.entries) fn(local, entry);
        }
    }

private:
    static constexpr std::size_t kShards = 32;
    Shard& shard_of(const std::string& local) { return shards_[std::hash<std::string>{}(local) % kShards]; }
    std::array<Shard, kShards> shards_;
    store::NameIndex names_;
    store::NameIndex in_flight_;
};

}  // namespace cache_tier::fill
