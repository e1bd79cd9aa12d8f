#include "store/file_cache.hpp"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "http/conditional.hpp"
#include "http/http_date.hpp"
#include "http/mime.hpp"
#include "store/safe_open.hpp"

namespace cache_tier::store {

namespace {

std::int64_t system_seconds() {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}


}  // namespace

FileCache::FileCache(const std::string& cache_dir, std::chrono::milliseconds revalidate_after, std::size_t max_entries,
                     std::chrono::milliseconds idle_limit)
    : dir_path_(cache_dir),
      dir_fd_(::open(cache_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)),
      revalidate_after_(revalidate_after),
      max_entries_(max_entries),
      idle_limit_(idle_limit),
      date_(system_seconds()) {
    if (!dir_fd_) throw std::runtime_error("cache directory '" + cache_dir + "': " + std::strerror(errno));
}

Opened FileCache::open(std::string_view local_name) {
    auto now = std::chrono::steady_clock::now();
    auto it = entries_.find(local_name);
    if (it != entries_.end()) {
        Entry& e = it->second;
        e.used = now;
        const std::uint64_t seen = removals.load(std::memory_order_relaxed);
        if (now - e.checked < revalidate_after_ && e.removals == seen) return {e.file};
        e.removals = seen;
        // Still the same file at that name? (Fills and operators replace files by rename.)
        struct stat st {};
        std::string name(local_name);
        if (::fstatat(dir_fd_.get(), name.c_str(), &st, 0) == 0 && static_cast<unsigned long long>(st.st_dev) == e.dev &&
            static_cast<unsigned long long>(st.st_ino) == e.ino && mtime_ns(st) == e.mtime_ns &&
            static_cast<std::uint64_t>(st.st_size) == e.file->size) {
            e.checked = now;
            return {e.file};
        }
        Opened opened = open_fresh(local_name, e);
        if (!opened.file) entries_.erase(it);
        return opened;
    }
    if (entries_.size() >= max_entries_) entries_.clear();
    Entry fresh;
    Opened opened = open_fresh(local_name, fresh);
    if (opened.file) entries_.emplace(std::string(local_name), std::move(fresh));
    return opened;
}

void FileCache::maintain(std::int64_t date, std::chrono::steady_clock::time_point now) {
    date_ = date;
    // What was open in a directory that has been replaced is no longer in the cache.
    if (auto reattached = reattach_directory(dir_fd_.get(), dir_path_); reattached && *reattached) entries_.clear();
    std::erase_if(entries_, [&](const auto& item) { return !worth_keeping(item.second, now); });
}

bool FileCache::worth_keeping(const Entry& entry, std::chrono::steady_clock::time_point now) const {
    // Not asked for lately: opening it again when it is costs less than
    // checking it every second until then.
    if (now - entry.used > idle_limit_) return false;
    // Its Last-Modified (and what conditionals compare) moves with the date
    // while its time is ahead of it, or went back with the clock: rebuild it.
    if (entry.file->mtime != std::min(entry.mtime, date_)) return false;
    // Unlinked: eviction, a purge, or a rename over it. Only the descriptor keeps its blocks allocated.
    struct stat st {};
    return ::fstat(entry.file->fd.get(), &st) == 0 && st.st_nlink > 0;
}

Opened FileCache::open_fresh(std::string_view local_name, Entry& entry) {
    // Read before opening: a removal after this is noticed on the next use.
    const std::uint64_t seen = removals.load(std::memory_order_relaxed);
    std::string name(local_name);
    auto opened = open_beneath(dir_fd_.get(), name);
    if (!opened) {
        switch (opened.code()) {
            case ENOENT:
            case ENOTDIR:
            case ENAMETOOLONG: return {nullptr, OpenStatus::not_found};
            case EXDEV:
            case ELOOP:
            case EACCES:
            case EPERM: return {nullptr, OpenStatus::forbidden};
            default:
                spdlog::error("open '{}' in the cache directory: {}", name, std::strerror(opened.code()));
                return {nullptr, OpenStatus::error};
        }
    }
    UniqueFd fd = std::move(*opened);
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode))
        return {nullptr, OpenStatus::not_found};  // directories, devices, FIFOs are never served
    auto file = http::describe_file(std::move(fd), static_cast<std::uint64_t>(st.st_size), st.st_mtim.tv_sec, date_,
                                    local_name);
    entry.file = file;
    entry.removals = seen;
    entry.checked = entry.used = std::chrono::steady_clock::now();
    entry.dev = static_cast<unsigned long long>(st.st_dev);
    entry.ino = static_cast<unsigned long long>(st.st_ino);
    entry.mtime_ns = mtime_ns(st);
    entry.mtime = st.st_mtim.tv_sec;
    return {std::move(file)};
}

}  // namespace cache_tier::store
