#include "fill/cache_accounting.hpp"

#include <fcntl.h>
#include <sys/statvfs.h>

#include <cstring>
#include <set>

#include <fmt/core.h>
#include <spdlog/spdlog.h>

#include "store/file_cache.hpp"
#include "store/layout.hpp"
#include "store/safe_open.hpp"

namespace cache_tier::fill {

namespace fs = std::filesystem;

SpaceProbe statvfs_probe(int dir_fd) {
    return [dir_fd]() -> std::optional<FileSystemSpace> {
        struct statvfs vfs {};
        if (::fstatvfs(dir_fd, &vfs) != 0) return std::nullopt;
        return FileSystemSpace{static_cast<std::uint64_t>(vfs.f_bavail) * vfs.f_frsize,
                               static_cast<std::uint64_t>(vfs.f_blocks) * vfs.f_frsize};
    };
}

CacheAccounting::CacheAccounting(SpaceLimits limits, fs::path cache_dir, int cache_dir_fd, FileTable& table,
                                 const store::MetadataStore& records, const Clock& clock, SpaceProbe probe)
    : limits_(limits),
      cache_dir_(std::move(cache_dir)),
      cache_dir_fd_(cache_dir_fd),
      table_(table),
      records_(records),
      clock_(clock),
      probe_(probe ? std::move(probe) : statvfs_probe(cache_dir_fd)) {
    struct stat st {};
    if (::fstat(cache_dir_fd_, &st) == 0 && st.st_blksize > 0) block_ = static_cast<std::uint64_t>(st.st_blksize);
}

std::uint64_t CacheAccounting::min_free() const {
    if (limits_.min_free_percent <= 0) return limits_.min_free_bytes;
    const auto space = probe_();
    if (!space) return 0;
    return static_cast<std::uint64_t>(static_cast<double>(space->size) * limits_.min_free_percent / 100.0);
}

// What a file holds on disk; never less than its length, so a sparse file
// is counted as what it becomes once written.
std::uint64_t CacheAccounting::allocated(const struct stat& st) const {
    const auto blocks = static_cast<std::uint64_t>(st.st_blocks) * 512;
    return std::max(blocks, whole_blocks(static_cast<std::uint64_t>(st.st_size), block_));
}

void CacheAccounting::measure_dir(const std::string& relative) {
    struct stat st {};
    const char* path = relative.empty() ? "." : relative.c_str();
    std::uint64_t size = 0;
    if (::fstatat(cache_dir_fd_, path, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode)) size = allocated(st);
    std::uint64_t& known = dirs_[relative];
    overhead_ += size;
    overhead_ -= known;
    known = size;
}

void CacheAccounting::count_existing_files() {
    if (!active()) return;
    std::lock_guard lock(mutex_);
    std::set<fs::path> records_of_files;
    std::error_code ec;
    std::size_t files = 0;
    measure_dir("");
    fs::recursive_directory_iterator it(cache_dir_, fs::directory_options::skip_permission_denied, ec), end;
    for (; !ec && it != end; it.increment(ec)) {
        struct stat st {};
        if (::lstat(it->path().c_str(), &st) != 0) continue;
        const std::string local = it->path().lexically_relative(cache_dir_).string();
        if (S_ISDIR(st.st_mode)) {
            measure_dir(local);
            continue;
        }
        if (!S_ISREG(st.st_mode) || local.starts_with(std::string(store::kStateDir) + "/")) continue;
        table_.names().insert(local);
        auto shard = table_.lock(local);
        Entry& e = shard.get(local, clock_.steady_now());
        std::uint64_t size = allocated(st);
        const fs::path record = records_.record_path(local);
        struct stat record_st {};
        if (e.meta && ::stat(record.c_str(), &record_st) == 0) {
            size += allocated(record_st);
            records_of_files.insert(record);
        }
        count(e, size);
        // A fill sets the copy's time to the origin's Last-Modified: when it was
        // fetched, from its record, says more of its use than that.
        e.last_used = e.meta ? e.meta->fetched_at * 1'000'000'000 : store::mtime_ns(st);
        ++files;
    }
    if (ec) spdlog::warn("cannot read all of the cache directory {}: {}", cache_dir_.string(), ec.message());
    // Whatever else is in the state folder takes room too.
    for (fs::recursive_directory_iterator state(cache_dir_ / store::kStateDir, ec); !ec && state != end;
         state.increment(ec)) {
        struct stat st {};
        if (::lstat(state->path().c_str(), &st) == 0 && S_ISREG(st.st_mode) && !records_of_files.contains(state->path()))
            stray_bytes_ += allocated(st);
    }
    overhead_ += stray_bytes_;
    spdlog::info("cache holds {} file(s); {} bytes on disk with its records, folders and state; limit {} bytes", files,
                 bytes(), limits_.max_bytes);
}

std::uint64_t CacheAccounting::measure_fill(const std::string& local) {
    std::uint64_t size = 0;
    if (auto fd = store::open_beneath(cache_dir_fd_, local)) {
        struct stat st {};
        if (::fstat(fd->get(), &st) == 0) size += allocated(st);
    }
    const fs::path record = records_.record_path(local);
    struct stat st {};
    if (::stat(record.c_str(), &st) == 0) size += allocated(st);
    std::lock_guard lock(mutex_);
    measure_dir("");
    for (auto slash = local.find('/'); slash != std::string::npos; slash = local.find('/', slash + 1))
        measure_dir(local.substr(0, slash));
    measure_dir(std::string(store::kTempDir));
    measure_dir(std::string(store::kMetaDir));
    measure_dir(record.parent_path().lexically_relative(cache_dir_).string());
    return size;
}

void CacheAccounting::count(Entry& e, std::uint64_t size) {
    if (!active()) return;
    uncount(e);
    e.counted = true;
    e.counted_size = size;
    bytes_ += size;
    ++files_;
}

void CacheAccounting::uncount(Entry& e) {
    if (!e.counted) return;
    bytes_ -= e.counted_size;
    --files_;
    e.counted = false;
    e.counted_size = 0;
}

// No allocation when the entry exists (the /verify hot path with a limit).
void CacheAccounting::note_use(FileTable::Locked& shard, const std::string& local) {
    if (!active()) return;
    const std::int64_t now = clock_.unix_nanoseconds();
    Entry* e = shard.find(local);
    if (e && e->counted) {
        e->last_used = now;
        return;
    }
    // A copy not counted yet: dropped in by an operator since the start. It is
    // checked again under the lock: the caller may have looked before an
    // eviction removed it (the routes look through their open-file cache).
    const auto size = store::servable_size(cache_dir_fd_, local);
    if (!size) return;
    if (!e) e = &shard.get(local, clock_.steady_now());
    count(*e, whole_blocks(*size, block_));
    e->last_used = now;
}

bool CacheAccounting::larger_than_cache(std::uint64_t bytes) const {
    return limited() && bytes > limits_.max_bytes - std::min(limits_.max_bytes, overhead_.load());
}

Status CacheAccounting::reserve(std::uint64_t bytes) {
    if (!active()) return {};
    std::lock_guard lock(mutex_);
    const std::uint64_t held = reserved_.load();
    const std::uint64_t in_use = this->bytes() + held;
    const std::uint64_t over_cap = limited() && in_use + bytes > limits_.max_bytes ? in_use + bytes - limits_.max_bytes : 0;
    std::uint64_t over_floor = 0, available = 0;
    const std::uint64_t floor = has_floor() ? min_free() : 0;
    if (floor > 0) {
        const auto space = probe_();
        if (!space) return Error{"cannot read the free space of the cache's file system"};
        available = space->available;
        // What running fills reserved may not be written yet: it is not free.
        const std::uint64_t wanted = floor + held + bytes;
        over_floor = wanted > available ? wanted - available : 0;
    }
    const std::uint64_t to_free = std::max(over_cap, over_floor);
    std::size_t evicted = 0;
    std::uint64_t freed = 0;
    // A victim used again since the round chose it stays; the next round chooses again.
    for (int round = 0; round < 3 && freed < to_free; ++round) {
        const std::uint64_t more = evict_lru(to_free - freed, true, evicted);
        if (more == 0) break;
        freed += more;
    }
    if (freed < to_free) {
        if (over_cap > freed)
            return Error{fmt::format("no room in the cache for {} more bytes: {} bytes in use and {} reserved by fills "
                                     "in progress, max_cache_size {} bytes",
                                     bytes, this->bytes(), reserved_.load(), limits_.max_bytes)};
        return Error{fmt::format("not enough free disk space for {} more bytes: {} bytes free on the cache's file "
                                 "system, {} reserved by fills in progress, min_free {} bytes",
                                 bytes, available, reserved_.load(), floor)};
    }
    if (evicted > 0)
        spdlog::info("evicted {} least recently used file(s), {} bytes freed, for {} bytes of a fill", evicted, freed,
                     bytes);
    reserved_ += bytes;
    return {};
}

void CacheAccounting::release(std::uint64_t bytes) {
    if (bytes > 0) reserved_ -= bytes;
}

void CacheAccounting::evict_if_over_limit() {
    if (!limited()) return;
    std::lock_guard lock(mutex_);
    const std::uint64_t total = bytes() + reserved_.load();
    if (total <= limits_.max_bytes) return;
    std::size_t evicted = 0;
    const std::uint64_t freed = evict_lru(total - limits_.max_bytes, false, evicted);
    spdlog::info("cache over its limit ({} of {} bytes): evicted {} least recently used file(s), {} bytes freed",
                 total, limits_.max_bytes, evicted, freed);
}

// Least recently used files first, never one being filled or revalidated.
// all_or_nothing: evict nothing when even all of them would not be enough.
std::uint64_t CacheAccounting::evict_lru(std::uint64_t to_free, bool all_or_nothing, std::size_t& evicted) {
    std::vector<CachedFile> files;
    std::uint64_t evictable = 0;
    table_.for_each([&](const std::string& local, const Entry& e) {
        if (!e.counted) return;
        const bool pinned = e.phase != Phase::idle;
        files.push_back(CachedFile{local, e.counted_size, e.last_used, pinned});
        if (!pinned) evictable += e.counted_size;
    });
    if (!all_or_nothing) to_free = std::min(to_free, evictable);
    auto victims = choose_victims(files, to_free);
    if (!victims) return 0;
    std::uint64_t freed = 0;
    for (std::size_t i : *victims) {
        if (auto bytes = evict(files[i])) {
            ++evicted;
            ++evictions_;
            freed += *bytes;
        }
    }
    return freed;
}

// Under the shard's lock, so that no fill or revalidation of the file starts
// half-way and no request counts the copy again. Open descriptors of the copy
// keep serving it (unlink semantics): a response being sent is never cut off.
// Returns the bytes freed, nothing if not evicted.
std::optional<std::uint64_t> CacheAccounting::evict(const CachedFile& file) {
    auto shard = table_.lock(file.name);
    Entry* e = shard.find(file.name);
    // Used, refilled or being filled since the round looked: no longer a victim.
    if (!e || !e->counted || e->phase != Phase::idle || e->last_used != file.last_used) return std::nullopt;
    if (Status removed = store::unlink_beneath(cache_dir_fd_, file.name); !removed && removed.code() != ENOENT) {
        spdlog::warn("cannot evict {}: {}", file.name, removed.error().message);
        return std::nullopt;
    }
    records_.remove(file.name);
    table_.names().erase(file.name);
    const std::uint64_t freed = e->counted_size;
    uncount(*e);
    e->meta.reset();
    if (e->forgettable(clock_.steady_now())) shard.erase(file.name);
    return freed;
}

}  // namespace cache_tier::fill
