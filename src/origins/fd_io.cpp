#include "origins/fd_io.hpp"

#include <unistd.h>

#include <cerrno>

namespace cache_tier::origins::detail {

int write_all(int fd, const char* data, std::size_t size) {
    while (size > 0) {
        ssize_t written = ::write(fd, data, size);
        if (written < 0) {
            if (errno == EINTR) continue;
            return errno;
        }
        if (written == 0) return EIO;  // no progress on a regular file: do not spin
        data += written;
        size -= static_cast<std::size_t>(written);
    }
    return 0;
}

}  // namespace cache_tier::origins::detail
