#include "store/file_io.hpp"

#include "common/unique_fd.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace cache_tier::store {

namespace {
Error why(int code) { return Error{std::strerror(code), code}; }
}  // namespace

Status write_all(int fd, const char* data, std::size_t size) {
    while (size > 0) {
        ssize_t written = ::write(fd, data, size);
        if (written < 0) {
            if (errno == EINTR) continue;
            return why(errno);
        }
        if (written == 0) return why(EIO);  // no progress on a regular file: do not spin
        data += written;
        size -= static_cast<std::size_t>(written);
    }
    return {};
}

void sync_directory(const std::filesystem::path& dir) {
    UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (fd) ::fsync(fd.get());
}

}  // namespace cache_tier::store
