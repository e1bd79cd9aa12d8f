#pragma once
// Open descriptors and stat results of cached files, per server thread (no
// locks). An entry is trusted for `revalidate_after` (about a second), then
// checked against the file system again, so a file an operator drops in or
// replaces is served within that time.
#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "http/response.hpp"

namespace cache_tier::store {

enum class OpenStatus {
    ok,
    not_found,  // no such file, or not a regular file
    forbidden,  // resolving it leaves the cache directory (symlink out), or permission denied
    error,      // any other failure (logged)
};

class FileCache {
public:
    // Opens `cache_dir` once; every file is opened relative to it and never outside it.
    explicit FileCache(const std::string& cache_dir, std::chrono::milliseconds revalidate_after = std::chrono::seconds(1),
                       std::size_t max_entries = 4096);
    ~FileCache();
    FileCache(const FileCache&) = delete;
    FileCache& operator=(const FileCache&) = delete;

    // `local_name` is a normalised name (store::normalize_name), relative to the cache directory.
    std::shared_ptr<const http::OpenFile> open(std::string_view local_name, OpenStatus& status);

private:
    struct Entry {
        std::shared_ptr<const http::OpenFile> file;
        std::chrono::steady_clock::time_point checked;
        unsigned long long dev = 0, ino = 0;
        long long mtime_ns = 0;
    };
    struct Hash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
    };
    std::shared_ptr<const http::OpenFile> open_fresh(std::string_view local_name, Entry& entry, OpenStatus& status);

    int dir_fd_ = -1;
    std::chrono::milliseconds revalidate_after_;
    std::size_t max_entries_;
    std::unordered_map<std::string, Entry, Hash, std::equal_to<>> entries_;
};

}  // namespace cache_tier::store
