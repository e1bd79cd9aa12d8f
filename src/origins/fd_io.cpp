#include "origins/fd_io.hpp"

#include <fcntl.h>
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

void WriteBehind::wrote(std::uint64_t total) {
    constexpr std::uint64_t kStep = 8u << 20;
    while (total - started_ >= kStep) {
        auto offset = static_cast<off64_t>(started_);
        // Hints only: a file system without sync_file_range just fsyncs at the end.
        ::sync_file_range(fd_, offset, kStep, SYNC_FILE_RANGE_WRITE);
        if (started_ >= kStep)
            ::sync_file_range(fd_, offset - static_cast<off64_t>(kStep), kStep,
                              SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER);
        started_ += kStep;
    }
}

}  // namespace cache_tier::origins::detail
