#include "fill/cache_accounting.hpp"

#include <sys/stat.h>

#include <cstring>

#include <spdlog/spdlog.h>

#include "store/file_cache.hpp"
#include "store/layout.hpp"
#include "store/safe_open.hpp"

namespace cache_tier::fill {

namespace fs = std::filesystem;

CacheAccounting::CacheAccounting(std::uint64_t limit, fs::path cache_dir, int cache_dir_fd, FileTable& table,
                                 const store::MetadataStore& records, const Clock& clock)
    : limit_(limit),
      cache_dir_(std::move(cache_dir)),
      cache_dir_fd_(cache_dir_fd),
      table_(table),
      records_(records),
      clock_(clock) {}

// Symbolic links are neither followed nor counted. A file's last use before
// the start is taken as its fetch time (its record), else its modification time.
void CacheAccounting::count_existing_files() {
    std::error_code ec;
    std::size_t files = 0;
    fs::recursive_directory_iterator it(cache_dir_, fs::directory_options::skip_permission_denied, ec), end;
    for (; !ec && it != end; it.increment(ec)) {
        if (it.depth() == 0 && it->path().filename() == store::kStateDir) {
            it.disable_recursion_pending();
            continue;
        }
        struct stat st {};
        if (::lstat(it->path().c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
        const std::string local = it->path().lexically_relative(cache_dir_).string();
        auto shard = table_.lock(local);
        Entry& e = shard.get(local, clock_.steady_now());
        count(e, static_cast<std::uint64_t>(st.st_size));
        // A fill sets the copy's time to the origin's Last-Modified: when it was
        // fetched, from its record, says more of its use than that.
        e.last_used = e.meta ? e.meta->fetched_at * 1'000'000'000 : store::mtime_ns(st);
        ++files;
    }
    if (ec) spdlog::warn("cannot read all of the cache directory {}: {}", cache_dir_.string(), ec.message());
    spdlog::info("cache holds {} file(s), {} bytes; limit {} bytes", files, bytes_.load(), limit_);
}

void CacheAccounting::count(Entry& e, std::uint64_t size) {
    if (!limited()) return;
    uncount(e);
    e.counted = true;
    e.counted_size = size;
    bytes_ += size;
}

void CacheAccounting::uncount(Entry& e) {
    if (!e.counted) return;
    bytes_ -= e.counted_size;
    e.counted = false;
    e.counted_size = 0;
}

// No allocation when the entry exists (the /verify hot path with a limit).
void CacheAccounting::note_use(FileTable::Locked& shard, const std::string& local) {
    if (!limited()) return;
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
    count(*e, *size);
    e->last_used = now;
}

void CacheAccounting::evict_if_over_limit(const std::string* just_filled) {
    if (!limited()) return;
    std::lock_guard round(eviction_mutex_);
    const std::uint64_t total = bytes_.load();
    if (total <= limit_) return;
    std::vector<CachedFile> files;
    table_.for_each([&](const std::string& local, const Entry& e) {
        if (!e.counted) return;
        const bool pinned = e.phase != Phase::idle || (just_filled && local == *just_filled);
        files.push_back(CachedFile{local, e.counted_size, e.last_used, pinned});
    });
    std::size_t evicted = 0;
    std::uint64_t freed = 0;
    for (std::size_t i : choose_victims(files, total, limit_)) {
        if (auto bytes = evict(files[i])) {
            ++evicted;
            freed += *bytes;
        }
    }
    spdlog::info("cache over its limit ({} of {} bytes): evicted {} least recently used file(s), {} bytes freed",
                 total, limit_, evicted, freed);
}

// Under the shard's lock, so that no fill or revalidation of the file starts
// half-way and no request counts the copy again. Open descriptors of the copy
// keep serving it (unlink semantics). Returns the bytes freed, nothing if not evicted.
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
    const std::uint64_t freed = e->counted_size;
    uncount(*e);
    e->meta.reset();
    if (e->forgettable(clock_.steady_now())) shard.erase(file.name);
    return freed;
}

}  // namespace cache_tier::fill
