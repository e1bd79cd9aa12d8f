#pragma once
// Open descriptors and stat results of cached files, per server thread (no
// locks). An entry is trusted for `revalidate_after` (about a second), then
// checked against the file system again, so a file an operator drops in or
// replaces is served within that time. Once a second the server's tick calls
// maintain(), which lets go of descriptors the requests no longer need: a
// deleted file's blocks stay allocated on disk while it is held open. Hot
// small files are kept whole in memory beside their descriptor
// (small_files.hpp), within a byte budget.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <list>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include <sys/stat.h>

#include "common/clock.hpp"
#include "common/unique_fd.hpp"
#include "http/response.hpp"
#include "store/small_files.hpp"

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
    // With Want::contents, a small file's whole contents (file->size bytes, as
    // described by `file`), else null: send it from the descriptor.
    std::shared_ptr<const std::string> contents = nullptr;
};

// What the caller will do with the file: only describe it (/verify), or send its body.
enum class Want { descriptor, contents };

class FileCache {
public:
    // Opens `cache_dir` once; every file is opened relative to it and never outside it.
    explicit FileCache(const std::string& cache_dir, SmallFileOptions small_files = {},
                       std::chrono::milliseconds revalidate_after = std::chrono::seconds(1),
                       std::size_t max_entries = 4096, std::chrono::milliseconds idle_limit = std::chrono::seconds(5),
                       const Clock& clock = system_clock());
    FileCache(const FileCache&) = delete;
    FileCache& operator=(const FileCache&) = delete;

    // `local_name` is a normalised name (store::normalize_name), relative to the cache directory.
    // The file's mtime and Last-Modified are never later than the last date given to maintain() (RFC 9110 §8.8.2.1).
    // With Want::contents, a small file is read into memory on its first use
    // (while the budget allows, evicting the least recently used) and its
    // bytes come with it until the entry is revalidated away.
    Opened open(std::string_view local_name, Want want = Want::descriptor);

    // Once a second, between requests. `date` is the second the Date header of
    // the responses until the next call carries. Drops the entries whose file
    // was unlinked (evicted, purged, or replaced by a rename), those not asked
    // for within `idle_limit`, and those whose Last-Modified must move with the
    // date. A response in flight keeps its own reference to the file. A cache
    // directory replaced at its path is taken in (store::reattach_directory).
    void maintain(std::int64_t date);
    void maintain(std::int64_t date, std::chrono::steady_clock::time_point now);

    // Bytes of file contents held in memory now (at most SmallFileOptions::cache_bytes).
    std::uint64_t bytes_in_memory() const { return memory_bytes_; }

private:
    struct Entry {
        std::shared_ptr<const http::OpenFile> file;
        std::chrono::steady_clock::time_point checked;
        std::chrono::steady_clock::time_point used;
        unsigned long long dev = 0, ino = 0;
        std::int64_t mtime_ns = 0;
        std::int64_t mtime = 0;  // the file's own, in seconds; file->mtime is no later than the date
        std::uint64_t removals = 0;  // store::removals when it was last checked
        // The file's whole contents, read from `file` after the stat above; null: not in memory.
        std::shared_ptr<const std::string> contents;
        std::list<Entry*>::iterator in_memory;  // its place in memory_lru_, while contents is set
    };
    struct Hash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
    };
    Opened open_fresh(std::string_view local_name, Entry& entry);
    bool worth_keeping(const Entry& entry, std::chrono::steady_clock::time_point now) const;
    Opened found(Entry& entry, Want want);
    void load_contents(Entry& entry);
    void forget_contents(Entry& entry);
    void forget_all();

    std::string dir_path_;
    UniqueFd dir_fd_;
    std::chrono::milliseconds revalidate_after_;
    std::size_t max_entries_;
    std::chrono::milliseconds idle_limit_;
    SmallFileOptions small_files_;
    const Clock& clock_;
    std::int64_t date_;  // seconds since the epoch, as the Date header says
    std::unordered_map<std::string, Entry, Hash, std::equal_to<>> entries_;
    // Entries whose contents are in memory, most recently used first, and their bytes.
    std::list<Entry*> memory_lru_;
    std::uint64_t memory_bytes_ = 0;
};

}  // namespace cache_tier::store
