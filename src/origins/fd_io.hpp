#pragma once
// Small POSIX I/O helpers shared by the origins.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include "common/unique_fd.hpp"

namespace cache_tier::origins::detail {

// Starts write-back of a fill's temporary file every few MiB while the origin
// is still sending, so the disk works during the download and the fsync
// before the rename finds little left to do. It also waits for the step
// before last, which keeps a fill's dirty pages bounded.
class WriteBehind {
public:
    explicit WriteBehind(int fd) : fd_(fd) {}
    // `total`: bytes written to the file so far.
    void wrote(std::uint64_t total);

private:
    int fd_;
    std::uint64_t started_ = 0;  // write-back started for [0, started_)
};

// The owning descriptor type is the project's one (common/unique_fd.hpp).
using cache_tier::UniqueFd;

}  // namespace cache_tier::origins::detail
