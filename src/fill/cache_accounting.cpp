// The cache's size: what the engine counts, notes of use, and least-recently-
// used eviction when a size limit is set (the choice itself is eviction.cpp's).
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <fmt/core.h>
#include <spdlog/spdlog.h>

#include "fill/engine_impl.hpp"

namespace cache_tier::fill {

// The size limit covers every regular file in the cache directory, put there
// by a fill or by an operator; not cache-tier's own state folder. Symbolic
// links are neither followed nor counted.
void FillEngine::Impl::count_cached_files() {
    std::error_code ec;
    std::size_t files = 0;
    fs::recursive_directory_iterator it(options.cache_dir, fs::directory_options::skip_permission_denied, ec), end;
    for (; !ec && it != end; it.increment(ec)) {
        if (it.depth() == 0 && it->path().filename() == store::kStateDir) {
            it.disable_recursion_pending();
            continue;
        }
        struct stat st {};
        if (::lstat(it->path().c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
        const std::string local = it->path().lexically_relative(options.cache_dir).string();
        Shard& shard = shard_of(local);
        std::lock_guard lock(shard.mutex);
        Entry& e = shard.entries[local];
        count(e, static_cast<std::uint64_t>(st.st_size));
        e.last_used = mtime_ns(st);
        ++files;
    }
    if (ec) spdlog::warn("cannot read all of the cache directory {}: {}", options.cache_dir.string(), ec.message());
    spdlog::info("cache holds {} file(s), {} bytes; limit {} bytes", files, cached_bytes.load(),
                 options.max_cache_bytes);
}

void FillEngine::Impl::count(Entry& e, std::uint64_t size) {
    uncount(e);
    e.counted = true;
    e.counted_size = size;
    cached_bytes += size;
}

void FillEngine::Impl::uncount(Entry& e) {
    if (!e.counted) return;
    cached_bytes -= e.counted_size;
    e.counted = false;
    e.counted_size = 0;
}

// No allocation when the entry exists (the /verify hot path with a limit).
void FillEngine::Impl::note_use(Shard& shard, const std::string& local) {
    const std::int64_t now = unix_now_ns();
    auto it = shard.entries.find(local);
    if (it != shard.entries.end() && it->second.counted) {
        it->second.last_used = now;
        return;
    }
    // A copy not counted yet: dropped in by an operator since the start. It is
    // checked again under the lock: the caller may have looked before an
    // eviction removed it (the routes look through their open-file cache).
    const auto size = copy_size(local);
    if (!size) return;
    if (it == shard.entries.end()) it = shard.entries.try_emplace(local).first;
    count(it->second, *size);
    it->second.last_used = now;
}

// Runs on a fill worker after a fill (and once at start): never on the
// threads that serve requests.
void FillEngine::Impl::evict_if_over_limit(const std::string* just_filled) {
    std::lock_guard round(eviction_mutex);
    const std::uint64_t total = cached_bytes.load();
    if (total <= options.max_cache_bytes) return;
    std::vector<CachedFile> files;
    for (Shard& shard : shards) {
        std::lock_guard lock(shard.mutex);
        for (const auto& [local, e] : shard.entries) {
            if (!e.counted) continue;
            const bool pinned = e.phase != Entry::Phase::idle || (just_filled && local == *just_filled);
            files.push_back(CachedFile{local, e.counted_size, e.last_used, pinned});
        }
    }
    std::size_t evicted = 0;
    std::uint64_t freed = 0;
    for (std::size_t i : choose_victims(files, total, options.max_cache_bytes)) {
        if (auto bytes = evict(files[i])) {
            ++evicted;
            freed += *bytes;
        }
    }
    spdlog::info("cache over its limit ({} of {} bytes): evicted {} least recently used file(s), {} bytes freed",
                 total, options.max_cache_bytes, evicted, freed);
}

// Under the shard's lock, so that no fill or revalidation of the file starts
// half-way and no request counts the copy again. Open descriptors of the copy
// keep serving it (unlink semantics). Returns the bytes freed, nothing if not evicted.
std::optional<std::uint64_t> FillEngine::Impl::evict(const CachedFile& file) {
    Shard& shard = shard_of(file.name);
    std::lock_guard lock(shard.mutex);
    auto it = shard.entries.find(file.name);
    // Used, refilled or being filled since the round looked: no longer a victim.
    if (it == shard.entries.end() || !it->second.counted || it->second.phase != Entry::Phase::idle ||
        it->second.last_used != file.last_used)
        return std::nullopt;
    Entry& e = it->second;
    if (int error = store::unlink_beneath(cache_dir_fd.get(), file.name); error != 0 && error != ENOENT) {
        spdlog::warn("cannot evict {}: {}", file.name, std::strerror(error));
        return std::nullopt;
    }
    metadata.remove(file.name);
    const std::uint64_t freed = e.counted_size;
    uncount(e);
    e.meta.reset();
    if (e.forgettable(steady::now())) shard.entries.erase(it);
    return freed;
}

}  // namespace cache_tier::fill
