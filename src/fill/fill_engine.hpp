#pragma once
// The fill engine copies files from the origin into the cache directory in the
// background, on a bounded pool of worker threads, never on the threads that
// serve requests. Exactly one fetch per file runs at a time.
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.hpp"
#include "fill/fill_report.hpp"
#include "origins/origin.hpp"
#include "store/name.hpp"

namespace cache_tier::http {
struct OpenFile;
}

namespace cache_tier::fill {

struct FillOptions {
    std::filesystem::path cache_dir;
    unsigned workers = 4;                   // concurrent origin fetches
    std::size_t max_queued = 1000;          // fills waiting for a worker; past that, requests are only redirected
    std::uint64_t max_file_size = 0;        // 0: no limit
    // A hard cap on the cache directory's size on disk (see CacheAccounting for
    // what counts): a fill reserves its room before it writes, evicting least
    // recently used files. 0: no cap.
    std::uint64_t max_cache_bytes = 0;
    // Room kept free on the cache's file system, in bytes or as a percentage of
    // its size (used when above 0); evicts as for the cap. 0: no floor.
    std::uint64_t min_free_bytes = 0;
    double min_free_percent = 0;
    std::chrono::seconds negative_ttl{300}; // how long an origin 404 is remembered
    std::chrono::seconds retry_min{5};      // first backoff after a failed fill; doubles up to retry_max
    std::chrono::seconds retry_max{600};
    std::chrono::seconds revalidate_after{0};  // 0: never revalidate; else conditional GET when older
};

enum class FileState {
    cached,      // complete local copy
    filling,     // not cached; a fill is queued or running (maybe started by this call)
    not_found,   // origin said 404 recently; nothing fetched until negative_ttl passes
    failed,      // last fill failed; backing off before the next try
    queue_full,  // not cached and no room to queue a fill now
};

struct FileStatus {
    FileState state = FileState::filling;
    bool available() const { return state == FileState::cached; }
    std::string error_message;  // why the last fill failed, empty if it did not
};

// A cached file as the admin API lists it.
struct CachedFileInfo {
    std::string name;                      // the local (lower-case) name
    std::uint64_t size = 0;                // of the copy served now
    std::optional<std::int64_t> fetched;   // seconds since the epoch of its fetch or last 304; none: no record
    std::optional<std::int64_t> last_used; // ns since the epoch; tracked only with max_cache_size
    std::string etag;                      // the origin's, as it sent it; "" if none or no record
    std::string origin_key;                // the key it was fetched with; "" if unknown
};

struct CachedFilePage {
    std::vector<CachedFileInfo> files;
    bool more = false;  // files after the last one match too
};

// What a purge of one name did; nothing at all: the name was unknown.
struct PurgeOutcome {
    bool removed_copy = false;    // the cached copy and its record are gone
    bool discarded_fill = false;  // a fill queued or running: its result will be thrown away
    bool cleared_miss = false;    // a remembered origin 404 or a backoff was forgotten
    bool anything() const { return removed_copy || discarded_fill || cleared_miss; }
};

enum class RefreshState {
    queued,      // a conditional GET is queued
    not_cached,  // no copy to refresh (warm it instead)
    busy,        // a fill or revalidation of it is already queued or running
    queue_full,
};

class FillEngine {
public:
    // Everything that ages (negative caching, backoff, revalidation, eviction
    // order) reads `clock`, which must outlive the engine.
    FillEngine(FillOptions options, std::unique_ptr<origins::Origin> origin, const Clock& clock = system_clock());
    ~FillEngine();  // stops the workers; fills in progress are abandoned (their temporary files removed)
    FillEngine(const FillEngine&) = delete;
    FillEngine& operator=(const FillEngine&) = delete;

    // Is `name` cached? If not, start a fill unless one is running, the file is
    // remembered as missing, or backing off. If cached and older than
    // revalidate_after, start a background revalidation. Never waits for the origin.
    // Thread-safe; cheap when the file is cached (the /verify hot path).
    FileStatus ensure(const store::Name& name);
    // The same, for a caller that has just looked at the local copy itself:
    // `copy_size` is the size of the copy it would serve, nothing if it would
    // serve none. The routes pass what their open-file cache found, so that
    // /verify, /download and the static route always agree.
    FileStatus ensure(const store::Name& name, std::optional<std::uint64_t> copy_size);

    // A file not cached yet but being filled, as it can be served meanwhile
    // (its final size known, its bytes sent as they arrive), or null.
    std::shared_ptr<const http::OpenFile> streaming_file(const store::Name& name);

    // Call `wake` once, from any thread, when the running first fill of `name`
    // has its origin's head (so streaming_file() can answer) or ended. False,
    // and no call, when no such fill runs.
    bool when_head(const store::Name& name, std::function<void()> wake);

    // Where to send a browser for a file that is not cached.
    std::string origin_url(const store::Name& name) const;

    // The cache's size as counted for max_cache_size and min_free (nothing is
    // counted when neither is set). For metrics; cheap, from any thread.
    struct CacheUsage {
        bool counted = false;         // false: no cap and no floor, the figures below are 0
        std::uint64_t files = 0;      // cached files
        std::uint64_t bytes = 0;      // on disk: the files, their records, folders and other state files
        std::uint64_t reserved = 0;   // held by fills in progress for what they are writing
        std::uint64_t evictions = 0;  // files evicted since the start
        std::uint64_t limit = 0;      // max_cache_size; 0: none
        std::uint64_t min_free = 0;   // min_free in bytes now; 0: none
    };
    CacheUsage usage() const;

    // For operators: load, cache size, running fills, recent failures, origin
    // contact. Walks the cache directory at most every few seconds (a fill
    // or eviction since makes it walk again); never on the request hot path.
    FillReport report();
    // Just the origin's last contact (cheap: /readyz asks it).
    OriginContact origin_contact() const;
    // When nothing has talked to the origin for `quiet` (or ever), queue a
    // light request to it on a fill worker (one at a time), so that
    // origin_contact() says soon whether it answers. Never waits.
    void probe_origin_if_quiet(std::chrono::seconds quiet);

    // The admin API. Names are local (normalised) names; listing and prefix
    // purges cost in proportion to the files they touch (store::NameIndex).
    // Up to `limit` cached files under `prefix`, after the name `after`, in byte order.
    CachedFilePage list_cached(std::string_view prefix, std::string_view after, std::size_t limit);
    // Remove the copy and its record; a fill queued or running is discarded
    // (its result never appears); the origin 404s and backoff remembered are
    // forgotten. The copy stops being served at once (store::note_removal).
    PurgeOutcome purge(const std::string& local);
    // Purge every cached file under `prefix` (not empty); returns how many copies were removed.
    std::size_t purge_prefix(std::string_view prefix);
    // Revalidate the copy with a conditional GET now, whatever its age; a
    // changed file replaces it atomically once it is whole.
    RefreshState refresh(const store::Name& name);

    // Wait until no fill is queued or running, or `timeout` passes; true if idle. For tests and shutdown.
    bool wait_idle(std::chrono::milliseconds timeout);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace cache_tier::fill
