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

FileCache::FileCache(const std::string& cache_dir, SmallFileOptions small_files,
                     std::chrono::milliseconds revalidate_after, std::size_t max_entries,
                     std::chrono::milliseconds idle_limit, const Clock& clock)
    : dir_path_(cache_dir),
      dir_fd_(::open(cache_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)),
      revalidate_after_(revalidate_after),
      max_entries_(max_entries),
      idle_limit_(idle_limit),
      small_files_(small_files),
      clock_(clock),
      date_(system_seconds()) {
    if (!dir_fd_) throw std::runtime_error("cache directory '" + cache_dir + "': " + std::strerror(errno));
}

Opened FileCache::open(std::string_view local_name, Want want) {
    auto now = clock_.steady_now();
    auto it = entries_.find(local_name);
    if (it != entries_.end()) {
        Entry& e = it->second;
        e.used = now;
        const std::uint64_t seen = removals.load(std::memory_order_relaxed);
        if (now - e.checked < revalidate_after_ && e.removals == seen) return found(e, want);
        e.removals = seen;
        // Still the same file at that name? (Fills and operators replace files by rename.)
        struct stat st {};
        std::string name(local_name);
        if (::fstatat(dir_fd_.get(), name.c_str(), &st, 0) == 0 && static_cast<unsigned long long>(st.st_dev) == e.dev &&
            static_cast<unsigned long long>(st.st_ino) == e.ino && mtime_ns(st) == e.mtime_ns &&
            static_cast<std::uint64_t>(st.st_size) == e.file->size) {
            e.checked = now;
            return found(e, want);
        }
        Opened opened = open_fresh(local_name, e);
        if (!opened.file) {
            entries_.erase(it);
            return opened;
        }
        return found(e, want);
    }
    if (entries_.size() >= max_entries_) forget_all();
    Entry fresh;
    Opened opened = open_fresh(local_name, fresh);
    if (!opened.file) return opened;
    // The entry's address is fixed from here on (a node of the map): memory_lru_ points at it.
    return found(entries_.emplace(std::string(local_name), std::move(fresh)).first->second, want);
}

Opened FileCache::found(Entry& entry, Want want) {
    if (want == Want::contents) {
        if (entry.contents) memory_lru_.splice(memory_lru_.begin(), memory_lru_, entry.in_memory);
        else load_contents(entry);
    }
    return {entry.file, OpenStatus::ok, want == Want::contents ? entry.contents : nullptr};
}

// Hot means asked for: a file is read on its first send, and stays while it is
// asked for (an entry idle past idle_limit goes, with its bytes) and fits.
void FileCache::load_contents(Entry& entry) {
    const std::uint64_t size = entry.file->size;
    if (size > small_files_.max_file_bytes || size > small_files_.cache_bytes || entry.file->growing) return;
    auto bytes = read_whole_file(entry.file->fd.get(), size, entry.mtime_ns);
    if (!bytes) return;  // changed since its stat: the descriptor serves it until the next check
    while (memory_bytes_ + size > small_files_.cache_bytes) forget_contents(*memory_lru_.back());
    entry.contents = std::move(bytes);
    memory_lru_.push_front(&entry);
    entry.in_memory = memory_lru_.begin();
    memory_bytes_ += size;
}

void FileCache::forget_contents(Entry& entry) {
    if (!entry.contents) return;
    memory_bytes_ -= entry.contents->size();
    memory_lru_.erase(entry.in_memory);
    entry.contents.reset();
}

void FileCache::forget_all() {
    entries_.clear();
    memory_lru_.clear();
    memory_bytes_ = 0;
}

void FileCache::maintain(std::int64_t date) { maintain(date, clock_.steady_now()); }

void FileCache::maintain(std::int64_t date, std::chrono::steady_clock::time_point now) {
    date_ = date;
    // What was open in a directory that has been replaced is no longer in the cache.
    if (auto reattached = reattach_directory(dir_fd_.get(), dir_path_); reattached && *reattached) forget_all();
    for (auto it = entries_.begin(); it != entries_.end();) {
        if (worth_keeping(it->second, now)) {
            ++it;
            continue;
        }
        forget_contents(it->second);
        it = entries_.erase(it);
    }
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
    // Whatever happens, what was read of the entry's old file is not served again.
    forget_contents(entry);
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
    entry.checked = entry.used = clock_.steady_now();
    entry.dev = static_cast<unsigned long long>(st.st_dev);
    entry.ino = static_cast<unsigned long long>(st.st_ino);
    entry.mtime_ns = mtime_ns(st);
    entry.mtime = st.st_mtim.tv_sec;
    return {std::move(file)};
}

}  // namespace cache_tier::store
