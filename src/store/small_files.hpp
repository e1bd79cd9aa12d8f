#pragma once
// Small files served from memory: the whole of a hot small file is kept by the
// open-file cache (file_cache.hpp) beside its descriptor, so its response goes
// out header and body in one send, with no sendfile. Bounded per server thread
// in bytes, least recently used out first; an entry's bytes live exactly as
// long as its descriptor entry, so they are revalidated, replaced and purged
// with it.
#include <cstdint>
#include <memory>
#include <string>

namespace cache_tier::store {

struct SmallFileOptions {
    // Bytes of file contents one server thread keeps in memory (0: none, every
    // body goes out with sendfile).
    std::uint64_t cache_bytes = 16ULL << 20;
    // Files up to this size qualify. Past a few tens of KiB, sendfile's copy
    // from the page cache costs less than the one from user memory (measured:
    // docs/benchmarks.md).
    std::uint64_t max_file_bytes = 16ULL << 10;
};

// The whole of the regular file `fd`, which its fstat said is `size` bytes
// modified at `mtime_ns`. Null when the file is not that any more (written to,
// grown, truncated since) or cannot be read: never a partial or mixed body.
std::shared_ptr<const std::string> read_whole_file(int fd, std::uint64_t size, std::int64_t mtime_ns);

}  // namespace cache_tier::store
