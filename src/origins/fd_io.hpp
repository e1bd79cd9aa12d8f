#pragma once
// Small POSIX I/O helpers shared by the origins.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <utility>

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

// Owns a file descriptor; closes it once.
class UniqueFd {
public:
    UniqueFd() = default;
    explicit UniqueFd(int fd) : fd_(fd) {}
    ~UniqueFd() {
        if (fd_ >= 0) ::close(fd_);
    }
    UniqueFd(UniqueFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
    UniqueFd& operator=(UniqueFd&& other) noexcept {
        if (this != &other) {
            if (fd_ >= 0) ::close(fd_);
            fd_ = std::exchange(other.fd_, -1);
        }
        return *this;
    }
    int get() const { return fd_; }
    explicit operator bool() const { return fd_ >= 0; }

private:
    int fd_ = -1;
};

}  // namespace cache_tier::origins::detail
