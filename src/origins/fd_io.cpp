#include "origins/fd_io.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

namespace cache_tier::origins::detail {

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
