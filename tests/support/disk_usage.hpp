#pragma once
// What a directory takes on disk, everything beneath it included (files,
// folders, the directory itself; symbolic links are not followed or counted),
// measured the way the cache's size cap counts it.
#include <sys/stat.h>

#include <cstdint>
#include <filesystem>
#include <system_error>

namespace ct_test {

struct DiskUsage {
    std::uint64_t allocated = 0;  // per entry: st_blocks * 512, or its size in whole blocks if that is more
    std::uint64_t apparent = 0;   // per entry: st_size
};

inline DiskUsage measure_disk_usage(const std::filesystem::path& dir) {
    DiskUsage usage;
    struct stat root {};
    if (::lstat(dir.c_str(), &root) != 0) return usage;
    const auto block = static_cast<std::uint64_t>(root.st_blksize > 0 ? root.st_blksize : 4096);
    auto add = [&](const struct stat& st) {
        const auto size = static_cast<std::uint64_t>(st.st_size);
        const std::uint64_t in_blocks = (size + block - 1) / block * block;
        const auto blocks = static_cast<std::uint64_t>(st.st_blocks) * 512;
        usage.allocated += blocks > in_blocks ? blocks : in_blocks;
        usage.apparent += size;
    };
    add(root);
    std::error_code ec;
    // Files come and go while a server fills and evicts: vanished entries are skipped.
    for (std::filesystem::recursive_directory_iterator it(dir, std::filesystem::directory_options::skip_permission_denied, ec), end;
         !ec && it != end; it.increment(ec)) {
        struct stat st {};
        if (::lstat(it->path().c_str(), &st) != 0) continue;
        if (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)) add(st);
    }
    return usage;
}

// The allocated figure alone.
inline std::uint64_t disk_usage(const std::filesystem::path& dir) { return measure_disk_usage(dir).allocated; }

}  // namespace ct_test
