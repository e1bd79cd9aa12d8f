#include "store/temp_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/file_io.hpp"
#include "store/safe_open.hpp"

namespace cache_tier::store {

Result<TempFile> TempFile::create(const std::filesystem::path& dir, std::string_view prefix, mode_t mode) {
    const std::string pattern = (dir / (std::string(prefix) + "-XXXXXX")).string();
    std::string path = pattern;  // mkostemp fills in the X's, even when it fails
    UniqueFd fd(::mkostemp(path.data(), O_CLOEXEC));
    if (!fd) return system_error("cannot create a temporary file like " + pattern);
    // mkstemp creates 0600; a cached file is world-readable like any static file.
    if (::fchmod(fd.get(), mode) != 0) {
        Error error = system_error("cannot set the permissions of " + path);
        ::unlink(path.c_str());
        return error;
    }
    return TempFile(std::move(path), std::move(fd));
}

TempFile::TempFile(TempFile&& other) noexcept
    : path_(std::move(other.path_)), fd_(std::move(other.fd_)), placed_(std::exchange(other.placed_, true)) {}

TempFile::~TempFile() {
    fd_.reset();
    if (!placed_ && !path_.empty()) ::unlink(path_.c_str());
}

Status TempFile::sync_and_close() {
    if (::fsync(fd_.get()) != 0) return system_error("cannot fsync " + path_);
    if (::close(fd_.release()) != 0) return system_error("cannot close " + path_);
    return {};
}

Status TempFile::place_beneath(int dir_fd, const std::string& name) {
    // rename(2) is atomic: readers see the old copy or the new one, and open
    // descriptors of the old copy keep serving it.
    Status placed = rename_beneath(AT_FDCWD, path_, dir_fd, name);
    placed_ = placed.ok();
    return placed;
}

Status TempFile::place_at(const std::filesystem::path& target) {
    if (::rename(path_.c_str(), target.c_str()) != 0) return system_error("cannot rename into " + target.string());
    placed_ = true;
    sync_directory(target.parent_path());
    return {};
}

}  // namespace cache_tier::store
