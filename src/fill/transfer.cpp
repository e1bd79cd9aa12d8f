#include "fill/transfer.hpp"

#include "fill/fill_progress.hpp"
#include "store/temp_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include <fmt/core.h>

namespace cache_tier::fill {

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
    UniqueFd read_only(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    if (read_only) ::dup2(read_only.get(), fd_);
}

namespace {

constexpr char kAbandoned[] = "abandoned: the server is shutting down";

FetchResult local_failure(FetchResult result, std::string message) {
    result.status = FetchStatus::local_error;
    result.message = std::move(message);
    return result;
}

}  // namespace

FetchResult transfer(origins::Origin& origin, const origins::FetchRequest& req, const TransferTarget& target,
                     AbortSlot& abort_slot, FillProgress* progress) {
    auto temp = store::TempFile::create(target.temp_dir, "fill", 0644);
    if (!temp) return local_failure({}, temp.error().message);
    if (!abort_slot.attach(temp->fd())) return local_failure({}, kAbandoned);
    origins::FetchRequest cancellable = req;
    cancellable.cancelled = &abort_slot.aborted();
    if (progress) {
        // Readers get their own descriptor of the file (mkstemp opens it read-write):
        // sendfile reads at its own offsets, and it stays valid after the rename.
        progress->attach_file(UniqueFd(::dup(temp->fd())));
        if (!cancellable.observer) cancellable.observer = progress;
    }
    FetchResult result = origin.fetch(cancellable, temp->fd());
    if (abort_slot.detach()) return local_failure(std::move(result), kAbandoned);
    if (result.status != FetchStatus::ok) return result;

    // The origin checked the length against Content-Length; check that the
    // bytes it counted are the bytes on disk.
    struct stat st {};
    if (::fstat(temp->fd(), &st) != 0)
        return local_failure(std::move(result), system_error("cannot stat " + temp->path()).message);
    if (static_cast<std::uint64_t>(st.st_size) != result.bytes)
        return local_failure(std::move(result), fmt::format("the temporary file holds {} bytes but the origin sent {}",
                                                            st.st_size, result.bytes));
    if (req.max_size > 0 && result.bytes > req.max_size) {
        result.status = FetchStatus::too_large;
        result.message = fmt::format("file is larger than the maximum file size ({} bytes)", req.max_size);
        return result;
    }
    if (progress && progress->mtime() > 0) {
        // The validators served while it filled are those of the placed copy.
        const timespec times[2] = {{0, UTIME_OMIT}, {progress->mtime(), 0}};
        if (::futimens(temp->fd(), times) != 0)
            return local_failure(std::move(result), system_error("cannot set the time of " + temp->path()).message);
    }
    if (Status synced = temp->sync_and_close(); !synced) return local_failure(std::move(result), synced.error().message);
    // Placed beneath the cache directory one folder at a time: a link an
    // operator (or anyone) put in the cache can never make a fill write outside it.
    const auto place = [&] { return temp->place_beneath(target.cache_dir_fd, target.local_name); };
    if (Status placed = target.guard_place ? target.guard_place(place) : place(); !placed)
        return local_failure(std::move(result), placed.error().message);
    return result;
}

}  // namespace cache_tier::fill
