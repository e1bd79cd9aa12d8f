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

#include "common/clock.hpp"
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
    std::uint64_t max_cache_bytes = 0;      // 0: no limit; else least recently used files are evicted past it
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

    // Wait until no fill is queued or running, or `timeout` passes; true if idle. For tests and shutdown.
    bool wait_idle(std::chrono::milliseconds timeout);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace cache_tier::fill
