#include "store/safe_open.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "common/unique_fd.hpp"

namespace cache_tier::store {

namespace {
constexpr int kOpenFlags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
constexpr int kFolderFlags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;

// The folder part and the last segment of a relative name ("a/b/c" -> "a/b", "c").
std::pair<std::string, std::string> split_last(const std::string& name) {
    auto slash = name.rfind('/');
    if (slash == std::string::npos) return {std::string(), name};
    return {name.substr(0, slash), name.substr(slash + 1)};
}

bool bad_segment(const std::string& segment) { return segment.empty() || segment == "." || segment == ".."; }

// The folder `folder` under `dir_fd`, walked one segment at a time without
// following any link; missing segments are created when `create`. An fd that
// can be fsynced, or -errno.
int open_folder_beneath(int dir_fd, const std::string& folder, bool create) {
    UniqueFd at(::dup(dir_fd));
    if (!at) return -errno;
    std::size_t start = 0;
    while (start < folder.size()) {
        std::size_t slash = folder.find('/', start);
        if (slash == std::string::npos) slash = folder.size();
        const std::string segment = folder.substr(start, slash - start);
        if (bad_segment(segment)) return -EXDEV;
        int fd = ::openat(at.get(), segment.c_str(), kFolderFlags);
        if (fd < 0 && errno == ENOENT && create) {
            if (::mkdirat(at.get(), segment.c_str(), 0755) != 0 && errno != EEXIST) return -errno;
            fd = ::openat(at.get(), segment.c_str(), kFolderFlags);
        }
        if (fd < 0) return -errno;
        at.reset(fd);
        start = slash + 1;
    }
    return at.release();
}

// Why `name` could not be opened; the code stays the errno.
Error open_error(const std::string& name, int code) {
    if (code == EXDEV) return Error{"'" + name + "' leads outside the directory", code};
    return system_error("cannot open '" + name + "'", code);
}

}  // namespace

Result<UniqueFd> open_beneath_by_segments(int dir_fd, const std::string& name) {
    if (name.empty() || name.front() == '/') return open_error(name, EXDEV);
    UniqueFd owned;  // the folder this walk is in, once it has left dir_fd
    int at = dir_fd;
    std::size_t start = 0;
    for (;;) {
        std::size_t slash = name.find('/', start);
        std::string segment = name.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
        if (bad_segment(segment)) return open_error(name, EXDEV);
        const bool last = slash == std::string::npos;
        int flags = last ? kOpenFlags | O_NOFOLLOW : O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
        UniqueFd fd(::openat(at, segment.c_str(), flags));
        if (!fd) return open_error(name, errno);
        if (last) return fd;
        owned = std::move(fd);
        at = owned.get();
        start = slash + 1;
    }
}

Result<UniqueFd> open_beneath(int dir_fd, const std::string& name) {
    open_how how{};
    how.flags = kOpenFlags;
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
    long fd = ::syscall(SYS_openat2, dir_fd, name.c_str(), &how, sizeof how);
    if (fd >= 0) return UniqueFd(static_cast<int>(fd));
    if (errno == ENOSYS || errno == EPERM) return open_beneath_by_segments(dir_fd, name);
    return open_error(name, errno);
}

std::optional<std::uint64_t> servable_size(int dir_fd, const std::string& name) {
    auto file = open_beneath(dir_fd, name);
    if (!file) return std::nullopt;
    struct stat st {};
    if (::fstat(file->get(), &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
    return static_cast<std::uint64_t>(st.st_size);
}

Status rename_beneath(int from_dir_fd, const std::string& from_name, int dir_fd, const std::string& name) {
    auto [folder, last] = split_last(name);
    if (bad_segment(last)) return system_error("cannot place '" + name + "'", EXDEV);
    int fd = open_folder_beneath(dir_fd, folder, /*create=*/true);
    if (fd < 0) return system_error("cannot place '" + name + "' under the cache directory", -fd);
    UniqueFd parent(fd);
    // rename(2) replaces a link at the last segment itself; it never writes through it.
    if (::renameat(from_dir_fd, from_name.c_str(), parent.get(), last.c_str()) != 0)
        return system_error("cannot rename into place '" + name + "'");
    ::fsync(parent.get());
    return {};
}

Status unlink_beneath(int dir_fd, const std::string& name) {
    auto [folder, last] = split_last(name);
    if (bad_segment(last)) return system_error("cannot remove '" + name + "'", EXDEV);
    int fd = open_folder_beneath(dir_fd, folder, /*create=*/false);
    if (fd < 0) return system_error("cannot remove '" + name + "'", -fd);
    UniqueFd parent(fd);
    if (::unlinkat(parent.get(), last.c_str(), 0) != 0) return system_error("cannot remove '" + name + "'");
    ::fsync(parent.get());
    return {};
}

Result<bool> reattach_directory(int dir_fd, const std::string& path) {
    struct stat held {};
    struct stat at_path {};
    if (::stat(path.c_str(), &at_path) != 0) return Error{path + " is gone: " + std::strerror(errno), errno};
    if (::fstat(dir_fd, &held) == 0 && held.st_dev == at_path.st_dev && held.st_ino == at_path.st_ino) return false;
    UniqueFd fresh(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fresh || ::dup3(fresh.get(), dir_fd, O_CLOEXEC) < 0)
        return Error{"cannot open " + path + ": " + std::strerror(errno), errno};
    return true;
}

}  // namespace cache_tier::store
