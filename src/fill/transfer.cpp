#include "fill/transfer.hpp"

#include "store/file_io.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include <fmt/core.h>

namespace cache_tier::fill {

namespace fs = std::filesystem;
using origins::FetchResult;
using origins::FetchStatus;

bool AbortSlot::attach(int fd) {
    std::lock_guard lock(mutex_);
    if (aborted_) return false;
    fd_ = fd;
    return true;
}

bool AbortSlot::detach() {
    std::lock_guard lock(mutex_);
    fd_ = -1;
    return aborted_;
}

void AbortSlot::abort() {
    std::lock_guard lock(mutex_);
    aborted_ = true;
    if (fd_ < 0) return;
    // dup2 swaps the descriptor atomically: the worker still owns the number
    // (it closes it only after detach()), and every later write gets EBADF.
    int read_only = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (read_only < 0) return;
    ::dup2(read_only, fd_);
    ::close(read_only);
}

namespace {

// Removes the temporary file unless it was renamed into place.
class TempFile {
public:
    explicit TempFile(const fs::path& dir) : path_((dir / "fill-XXXXXX").string()) {
        fd_ = ::mkostemp(path_.data(), O_CLOEXEC);
        // mkstemp creates 0600; cached files are world-readable like any static file.
        if (fd_ >= 0) ::fchmod(fd_, 0644);
    }
    ~TempFile() {
        close();
        if (!kept_) ::unlink(path_.c_str());
    }
    TempFile(const TempFile&) = delete;
    TempFile& operator=(const TempFile&) = delete;

    int fd() const { return fd_; }
    const std::string& path() const { return path_; }
    bool close() {
        if (fd_ < 0) return true;
        int rc = ::close(fd_);
        fd_ = -1;
        return rc == 0;
    }
    void keep() { kept_ = true; }

private:
    std::string path_;
    int fd_ = -1;
    bool kept_ = false;
};

constexpr char kAbandoned[] = "abandoned: the server is shutting down";

FetchResult local_failure(FetchResult result, std::string message) {
    result.status = FetchStatus::local_error;
    result.message = std::move(message);
    return result;
}

std::string errno_message(std::string_view what, const std::string& path) {
    return fmt::format("{} {}: {}", what, path, std::strerror(errno));
}

}  // namespace

FetchResult transfer(origins::Origin& origin, const origins::FetchRequest& req, const TransferPaths& paths,
                     AbortSlot& abort_slot) {
    TempFile temp(paths.temp_dir);
    if (temp.fd() < 0) return local_failure({}, errno_message("cannot create a temporary file like", temp.path()));
    if (!abort_slot.attach(temp.fd())) return local_failure({}, kAbandoned);
    origins::FetchRequest cancellable = req;
    cancellable.cancelled = &abort_slot.aborted();
    FetchResult result = origin.fetch(cancellable, temp.fd());
    if (abort_slot.detach()) return local_failure(std::move(result), kAbandoned);
    if (result.status != FetchStatus::ok) return result;

    // The origin checked the length against Content-Length; check that the
    // bytes it counted are the bytes on disk.
    struct stat st {};
    if (::fstat(temp.fd(), &st) != 0) return local_failure(std::move(result), errno_message("cannot stat", temp.path()));
    if (static_cast<std::uint64_t>(st.st_size) != result.bytes)
        return local_failure(std::move(result), fmt::format("the temporary file holds {} bytes but the origin sent {}",
                                                            st.st_size, result.bytes));
    if (req.max_size > 0 && result.bytes > req.max_size) {
        result.status = FetchStatus::too_large;
        result.message = fmt::format("file is larger than the maximum file size ({} bytes)", req.max_size);
        return result;
    }
    if (::fsync(temp.fd()) != 0) return local_failure(std::move(result), errno_message("cannot fsync", temp.path()));
    if (!temp.close()) return local_failure(std::move(result), errno_message("cannot close", temp.path()));

    const fs::path folder = paths.destination.parent_path();
    std::error_code ec;
    fs::create_directories(folder, ec);
    if (ec) return local_failure(std::move(result), fmt::format("cannot create folder {}: {}", folder.string(), ec.message()));
    // rename(2) is atomic: readers see the old copy or the new one, and open
    // descriptors of the old copy keep serving it.
    if (::rename(temp.path().c_str(), paths.destination.c_str()) != 0)
        return local_failure(std::move(result), errno_message("cannot rename into place", paths.destination.string()));
    temp.keep();
    store::sync_directory(folder);
    return result;
}

}  // namespace cache_tier::fill
