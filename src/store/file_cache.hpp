#pragma once
// Open descriptors and stat results of cached files, per server thread (no
// locks). An entry is trusted for `revalidate_after` (about a second), then
// checked against the file system again, so a file an operator drops in or
// replaces is served within that time. Once a second the server's tick calls
// maintain(), which lets go of descriptors the requests no longer need: a
// deleted file's blocks stay allocated on disk while it is held open.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include <sys/stat.h>

#include "common/unique_fd.hpp"
#include "http/response.hpp"

namespace cache_tier::store {

// A file's modification time in nanoseconds since the epoch: with the device,
// inode and size, what tells a file replaced at the same name from the one seen before.
inline std::int64_t mtime_ns(const struct stat& st) {
    return static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
}

// Counts the files removed or replaced on purpose (an admin purge, a
// revalidation that placed a new version or found the file gone). Each FileCache
// compares it with the value it last saw and, when it moved, checks its
// entries against the file system on their next use: a purged file stops
// being served at once instead of within `revalidate_after`. One relaxed load
// per hit.
inline std::atomic<std::uint64_t> removals{0};
inline void note_removal() { removals.fetch_add(1, std::memory_order_relaxed); }

enum class OpenStatus {
    ok,
    not_found,  // no such file, or not a regular file
    forbidden,  // resolving it leaves the cache directory (symlink out), or permission denied
    error,      // any other failure (logged)
};

// What FileCache::open found: the file when `status` is ok, else null and why.
// A plain pair rather than a Result: no message is built (the routes word the
// answer from the status), and a hit costs only the shared_ptr copy.
struct Opened {
    std::shared_ptr<const http::OpenFile> file;
    OpenStatus status = OpenStatus::ok;
};

class FileCache {
public:
    // Opens `cache_dir` once; every file is opened relative to it and never outside it.
    explicit FileCache(const std::string& cache_dir, std::chrono::milliseconds revalidate_after = std::chrono::seconds(1),
                       std::size_t max_entries = 4096, std::chrono::milliseconds idle_limit = std::chrono::seconds(5));
    FileCache(const FileCache&) = delete;
    FileCache& operator=(const FileCache&) = delete;

    // `local_name` is a normalised name (store::normalize_name), relative to the cache directory.
    // The file's mtime and Last-Modified are never later than the last date given to maintain() (RFC 9110 §8.8.2.1).
    Opened open(std::string_view local_name);

    // Once a second, between requests. `date` is the second the Date header of
    // the responses until the next call carries. Drops the entries whose file
    // was unlinked (evicted, purged, or replaced by a rename), those not asked
    // for within `idle_limit`, and those whose Last-Modified must move with the
    // date. A response in flight keeps its own reference to the file. A cache
    // directory replaced at its path is taken in (store::reattach_directory).
    void maintain(std::int64_t date, std::chrono::steady_clock::time_point now = std::chrono::steady_clock::now());

private:
    struct Entry {
        std::shared_ptr<const http::OpenFile> file;
        std::chrono::steady_clock::time_point checked;
        std::chrono::steady_clock::time_point used;
        unsigned long long dev = 0, ino = 0;
        std::int64_t mtime_ns = 0;
        std::int64_t mtime = 0;  // the file's own, in seconds; file->mtime is no later than the date
        std::uint64_t removals = 0;  // store::removals when it was last checked
    };
    struct Hash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
    };
    Opened open_fresh(std::string_view local_name, Entry& entry);
    bool worth_keeping(const Entry& entry, std::chrono::steady_clock::time_point now) const;

    std::string dir_path_;
    UniqueFd dir_fd_;
    std::chrono::milliseconds revalidate_after_;
    std::size_t max_entries_;
    std::chrono::milliseconds idle_limit_;
    std::int64_t date_;  // seconds since the epoch, as the Date header says
    std::unordered_map<std::string, Entry, Hash, std::equal_to<>> entries_;
};

}  // namespace cache_tier::store
