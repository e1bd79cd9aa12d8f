#pragma once
// A file that becomes visible under its final name only whole: created in the
// cache's temporary folder (emptied at every start, so a crash leaves nothing
// half-written in view), written, fsynced, then renamed into place. Removed
// when destroyed unless it was placed. Fills and metadata records both use it.
#include <sys/types.h>

#include <filesystem>
#include <string>
#include <string_view>

#include "common/result.hpp"
#include "common/unique_fd.hpp"

namespace cache_tier::store {

class TempFile {
public:
    // A new empty file "<prefix>-XXXXXX" in `dir`, with permissions `mode`.
    static Result<TempFile> create(const std::filesystem::path& dir, std::string_view prefix, mode_t mode);

    TempFile(TempFile&& other) noexcept;
    TempFile& operator=(TempFile&&) = delete;
    TempFile(const TempFile&) = delete;
    ~TempFile();

    int fd() const { return fd_.get(); }
    const std::string& path() const { return path_; }

    // fsync and close: the bytes are on disk before any rename can show them.
    Status sync_and_close();
    // Rename to `name` beneath `dir_fd`, never through a link (rename_beneath).
    Status place_beneath(int dir_fd, const std::string& name);
    // Rename to `target` (a path cache-tier itself controls) and sync its folder.
    Status place_at(const std::filesystem::path& target);

private:
    TempFile(std::string path, UniqueFd fd) : path_(std::move(path)), fd_(std::move(fd)) {}
    std::string path_;
    UniqueFd fd_;
    bool placed_ = false;
};

}  // namespace cache_tier::store
