#include "store/file_cache.hpp"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "http/conditional.hpp"
#include "http/http_date.hpp"
#include "http/mime.hpp"
#include "store/safe_open.hpp"

namespace cache_tier::store {

namespace {

long long mtime_ns(const struct stat& st) {
    return static_cast<long long>(st.st_mtim.tv_sec) * 1000000000LL + st.st_mtim.tv_nsec;
}

}  // namespace

FileCache::FileCache(const std::string& cache_dir, std::chrono::milliseconds revalidate_after, std::size_t max_entries)
    : revalidate_after_(revalidate_after), max_entries_(max_entries) {
    dir_fd_ = ::open(cache_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir_fd_ < 0) throw std::runtime_error("cache directory '" + cache_dir + "': " + std::strerror(errno));
}

FileCache::~FileCache() {
    if (dir_fd_ >= 0) ::close(dir_fd_);
}

std::shared_ptr<const http::OpenFile> FileCache::open(std::string_view local_name, OpenStatus& status) {
    auto now = std::chrono::steady_clock::now();
    auto it = entries_.find(local_name);
    if (it != entries_.end()) {
        Entry& e = it->second;
        if (now - e.checked < revalidate_after_) {
            status = OpenStatus::ok;
            return e.file;
        }
        // Still the same file at that name? (Fills and operators replace files by rename.)
        struct stat st {};
        std::string name(local_name);
        if (::fstatat(dir_fd_, name.c_str(), &st, 0) == 0 && static_cast<unsigned long long>(st.st_dev) == e.dev &&
            static_cast<unsigned long long>(st.st_ino) == e.ino && mtime_ns(st) == e.mtime_ns &&
            static_cast<std::uint64_t>(st.st_size) == e.file->size) {
            e.checked = now;
            status = OpenStatus::ok;
            return e.file;
        }
        auto file = open_fresh(local_name, e, status);
        if (!file) entries_.erase(it);
        return file;
    }
    if (entries_.size() >= max_entries_) entries_.clear();
    Entry fresh;
    auto file = open_fresh(local_name, fresh, status);
    if (file) entries_.emplace(std::string(local_name), std::move(fresh));
    return file;
}

std::shared_ptr<const http::OpenFile> FileCache::open_fresh(std::string_view local_name, Entry& entry,
                                                            OpenStatus& status) {
    std::string name(local_name);
    int fd = open_beneath(dir_fd_, name);
    if (fd < 0) {
        int err = -fd;
        switch (err) {
            case ENOENT:
            case ENOTDIR:
            case ENAMETOOLONG: status = OpenStatus::not_found; break;
            case EXDEV:
            case ELOOP:
            case EACCES:
            case EPERM: status = OpenStatus::forbidden; break;
            default:
                status = OpenStatus::error;
                spdlog::error("open '{}' in the cache directory: {}", name, std::strerror(err));
        }
        return nullptr;
    }
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        ::close(fd);
        status = OpenStatus::not_found;  // directories, devices, FIFOs are never served
        return nullptr;
    }
    auto file = std::make_shared<http::OpenFile>();
    file->fd = fd;
    file->size = static_cast<std::uint64_t>(st.st_size);
    file->mtime = st.st_mtim.tv_sec;
    file->etag = http::strong_etag(st.st_mtim.tv_sec, file->size);
    file->last_modified = http::format_http_date(st.st_mtim.tv_sec);
    file->content_type = http::content_type_for(local_name);
    entry.file = file;
    entry.checked = std::chrono::steady_clock::now();
    entry.dev = static_cast<unsigned long long>(st.st_dev);
    entry.ino = static_cast<unsigned long long>(st.st_ino);
    entry.mtime_ns = mtime_ns(st);
    status = OpenStatus::ok;
    return file;
}

}  // namespace cache_tier::store
