#include "store/safe_open.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

namespace cache_tier::store {

namespace {
constexpr int kOpenFlags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
}  // namespace

int open_beneath_by_segments(int dir_fd, const std::string& name) {
    if (name.empty() || name.front() == '/') return -EXDEV;
    int at = dir_fd;
    int owned = -1;  // the directory fd this walk opened, closed as it moves on
    std::size_t start = 0;
    for (;;) {
        std::size_t slash = name.find('/', start);
        std::string segment = name.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
        if (segment.empty() || segment == "." || segment == "..") {
            if (owned >= 0) ::close(owned);
            return -EXDEV;
        }
        const bool last = slash == std::string::npos;
        int flags = last ? kOpenFlags | O_NOFOLLOW : O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
        int fd = ::openat(at, segment.c_str(), flags);
        int error = errno;
        if (owned >= 0) ::close(owned);
        if (fd < 0) return -error;
        if (last) return fd;
        owned = at = fd;
        start = slash + 1;
    }
}

int open_beneath(int dir_fd, const std::string& name) {
    open_how how{};
    how.flags = kOpenFlags;
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
    long fd = ::syscall(SYS_openat2, dir_fd, name.c_str(), &how, sizeof how);
    if (fd >= 0) return static_cast<int>(fd);
    if (errno == ENOSYS || errno == EPERM) return open_beneath_by_segments(dir_fd, name);
    return -errno;
}

}  // namespace cache_tier::store
