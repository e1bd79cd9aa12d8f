#pragma once
// The fill engine's state, shared by its source files: fill_engine.cpp (queue,
// single flight, workers, outcomes) and cache_accounting.cpp (the cache's size
// and eviction). Private to src/fill.
#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "fill/eviction.hpp"
#include "fill/fill_engine.hpp"
#include "fill/transfer.hpp"
#include "store/layout.hpp"
#include "store/metadata.hpp"
#include "store/safe_open.hpp"
#include "store/unique_fd.hpp"

namespace cache_tier::fill {

namespace fs = std::filesystem;
using origins::FetchResult;
using origins::FetchStatus;
using steady = std::chrono::steady_clock;

inline std::int64_t unix_now() {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// Last-use times are wall-clock nanoseconds so that they compare with file
// modification times (the last use of a file not used since the start).
inline std::int64_t unix_now_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

inline std::int64_t mtime_ns(const struct stat& st) {
    return static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
}

// A spelling of a file's name that the origin said it does not have. The
// local copy is one per lower-case name, but the origin may be case-sensitive:
// one spelling's 404 says nothing of another's.
struct Miss {
    std::string key;                 // the origin key as asked
    steady::time_point until;        // remembered until then (negative_ttl)
    std::string message;             // for the verify API's error_msg
};

// Misses remembered per file; past this the oldest is forgotten, so a client
// cycling through spellings cannot grow an entry without bound.
constexpr std::size_t kMaxMissesPerFile = 8;

// What the engine remembers of one file (by local name) between requests.
struct Entry {
    enum class Phase : unsigned char { idle, queued, running };
    Phase phase = Phase::idle;
    steady::time_point retry_at{};  // no fetch before this (backoff after a failed fill)
    unsigned failures = 0;          // failed fills in a row, for the backoff
    std::string error_message;      // why the last fill failed; "" if it did not
    std::vector<Miss> misses;       // spellings the origin does not have, newest last
    std::optional<store::FileMeta> meta;  // set once a fill succeeded (or loaded at start)
    // Bookkeeping of the cache size limit (only with max_cache_bytes > 0).
    bool counted = false;          // the copy's size is in the engine's total
    std::uint64_t counted_size = 0;
    std::int64_t last_used = 0;    // ns since the epoch: last ensure() that found the copy, or its fill

    // The unexpired miss of `key`, if the origin said recently that it has no such file.
    const Miss* miss_of(std::string_view key, steady::time_point now) const {
        for (const Miss& miss : misses)
            if (miss.key == key && now < miss.until) return &miss;
        return nullptr;
    }
    void remember_miss(Miss miss) {
        std::erase_if(misses, [&](const Miss& m) { return m.key == miss.key; });
        if (misses.size() >= kMaxMissesPerFile) misses.erase(misses.begin());
        misses.push_back(std::move(miss));
    }

    // Nothing worth keeping: no copy known, no fill, no miss or backoff still running.
    bool forgettable(steady::time_point now) const {
        return phase == Phase::idle && !meta && !counted && retry_at <= now &&
               std::all_of(misses.begin(), misses.end(), [now](const Miss& m) { return m.until <= now; });
    }
};

// Entries are split over shards so that verifies of different files on many
// server threads rarely wait for the same mutex.
struct alignas(64) Shard {
    std::mutex mutex;
    std::unordered_map<std::string, Entry> entries;
    std::size_t sweep_at = 1024;  // forget stale entries when the map grows past this
};

struct Job {
    store::Name name;
    bool revalidate = false;
};

constexpr std::size_t kShards = 32;

struct FillEngine::Impl {
    FillOptions options;
    std::unique_ptr<origins::Origin> origin;
    store::MetadataStore metadata;
    fs::path temp_dir;
    store::UniqueFd cache_dir_fd;
    std::array<Shard, kShards> shards;

    std::mutex queue_mutex;  // lock order: a shard's mutex, then queue_mutex
    std::condition_variable work_ready;
    std::condition_variable idle;
    std::deque<Job> queue;
    unsigned running = 0;
    std::atomic<bool> stopping{false};

    std::atomic<std::uint64_t> cached_bytes{0};  // sum of the counted entries' sizes
    std::mutex eviction_mutex;                   // one eviction round at a time; lock order: before any shard

    std::vector<std::unique_ptr<AbortSlot>> abort_slots;
    std::vector<std::thread> workers;

    Impl(FillOptions opts, std::unique_ptr<origins::Origin> org)
        : options(std::move(opts)),
          origin(std::move(org)),
          metadata(options.cache_dir),
          temp_dir(options.cache_dir / store::kTempDir) {}

    Shard& shard_of(const std::string& local) { return shards[std::hash<std::string>{}(local) % kShards]; }

    // The size of the copy the static route would serve under `local`, if any.
    std::optional<std::uint64_t> copy_size(const std::string& local) const {
        return store::servable_size(cache_dir_fd.get(), local);
    }

    void remove_leftover_temp_files();
    void load_metadata();
    void count_cached_files();
    void count(Entry& e, std::uint64_t size);  // these three with the entry's shard locked
    void uncount(Entry& e);
    void note_use(Shard& shard, const std::string& local);
    void evict_if_over_limit(const std::string* just_filled);
    std::optional<std::uint64_t> evict(const CachedFile& file);
    bool try_enqueue(const store::Name& name, bool revalidate);
    FileStatus ensure(const store::Name& name, std::optional<std::uint64_t> copy);
    void sweep(Shard& shard, steady::time_point now);
    void worker_loop(AbortSlot& slot);
    void run(const Job& job, AbortSlot& slot);
    void record_outcome(const Job& job, const origins::FetchRequest& req, bool had_copy, bool key_known,
                        const FetchResult& result, double seconds);
};

}  // namespace cache_tier::fill
