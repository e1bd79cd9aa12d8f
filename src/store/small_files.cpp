#include "store/small_files.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "store/file_cache.hpp"

namespace cache_tier::store {

std::shared_ptr<const std::string> read_whole_file(int fd, std::uint64_t size, std::int64_t mtime_ns) {
    // One byte more than expected is asked for: a file that has grown since
    // its stat shows it here, not only in its times.
    std::string bytes(static_cast<std::size_t>(size) + 1, '\0');
    std::size_t got = 0;
    while (got < bytes.size()) {
        const ssize_t n = ::pread(fd, bytes.data() + got, bytes.size() - got, static_cast<off_t>(got));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return nullptr;
        if (n == 0) break;
        got += static_cast<std::size_t>(n);
    }
    if (got != size) return nullptr;
    // Written to while it was read (same size, new time), or since the stat.
    struct stat st {};
    if (::fstat(fd, &st) != 0 || static_cast<std::uint64_t>(st.st_size) != size || store::mtime_ns(st) != mtime_ns)
        return nullptr;
    bytes.resize(got);
    return std::make_shared<const std::string>(std::move(bytes));
}

}  // namespace cache_tier::store
