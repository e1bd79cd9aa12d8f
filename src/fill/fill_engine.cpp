#include "fill/fill_engine.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

#include <fmt/core.h>
#include <spdlog/spdlog.h>

#include "fill/backoff.hpp"
#include "fill/engine_impl.hpp"

namespace cache_tier::fill {

namespace {

// "origin has no file 'k' (404 Not Found: NoSuchKey)": the status and, where
// the origin gave one, its own reason (S3's error code).
std::string not_found_message(const std::string& key, const FetchResult& result) {
    constexpr std::string_view answered = "origin answered ";
    std::string_view why = result.message;
    if (why.starts_with(answered)) why.remove_prefix(answered.size());
    else why = {};
    if (why.empty())
        return fmt::format("origin has no file '{}' ({})", key,
                           result.http_status > 0 ? std::to_string(result.http_status) : "not found");
    return fmt::format("origin has no file '{}' ({})", key, why);
}

}  // namespace

void FillEngine::Impl::remove_leftover_temp_files() {
    std::error_code ec;
    std::size_t removed = 0;
    for (fs::directory_iterator it(temp_dir, ec), end; !ec && it != end; it.increment(ec)) {
        std::error_code rm_ec;
        removed += fs::remove_all(it->path(), rm_ec) > 0 ? 1 : 0;
        if (rm_ec) spdlog::warn("cannot remove leftover temporary file {}: {}", it->path().string(), rm_ec.message());
    }
    if (removed > 0) spdlog::info("removed {} unfinished fill(s) left in {}", removed, temp_dir.string());
}

void FillEngine::Impl::load_metadata() {
    std::vector<std::string> problems;
    auto records = metadata.load_all(&problems);
    for (const auto& problem : problems) spdlog::warn("{}", problem);
    std::size_t kept = 0;
    for (auto& [name, meta] : records) {
        // A record whose file an operator deleted describes nothing any more.
        if (!copy_size(name)) {
            metadata.remove(name);
            continue;
        }
        shard_of(name).entries[name].meta = std::move(meta);
        ++kept;
    }
    if (kept > 0) spdlog::info("loaded metadata of {} cached file(s)", kept);
}

bool FillEngine::Impl::try_enqueue(const store::Name& name, bool revalidate) {
    std::lock_guard lock(queue_mutex);
    if (stopping || queue.size() >= std::max<std::size_t>(options.max_queued, 1)) return false;
    queue.push_back(Job{name, revalidate});
    work_ready.notify_one();
    return true;
}

void FillEngine::Impl::sweep(Shard& shard, steady::time_point now) {
    std::erase_if(shard.entries, [now](const auto& item) { return item.second.forgettable(now); });
    shard.sweep_at = std::max<std::size_t>(1024, shard.entries.size() * 2);
}

FileStatus FillEngine::Impl::ensure(const store::Name& name, std::optional<std::uint64_t> copy) {
    // The hot path: a cached file and no revalidation costs nothing here (and,
    // with a cache size limit, noting the use under the shard's lock).
    if (copy && options.revalidate_after.count() <= 0) {
        if (options.max_cache_bytes > 0) {
            Shard& shard = shard_of(name.local);
            std::lock_guard lock(shard.mutex);
            note_use(shard, name.local);
        }
        return {FileState::cached, {}};
    }

    Shard& shard = shard_of(name.local);
    std::lock_guard lock(shard.mutex);
    const auto now = steady::now();
    if (copy) {
        if (options.max_cache_bytes > 0) note_use(shard, name.local);
        auto it = shard.entries.find(name.local);
        if (it == shard.entries.end()) return {FileState::cached, {}};
        Entry& e = it->second;
        // Without a record, or with a size that is not what was fetched, the copy
        // was put there by an operator: it is theirs to refresh.
        if (!e.meta || e.meta->size != *copy) return {FileState::cached, {}};
        if (unix_now() - e.meta->fetched_at < options.revalidate_after.count()) return {FileState::cached, {}};
        if (e.phase == Entry::Phase::idle && now >= e.retry_at && try_enqueue(name, true))
            e.phase = Entry::Phase::queued;
        return {FileState::cached, {}};
    }

    auto it = shard.entries.find(name.local);
    if (it == shard.entries.end()) {
        if (shard.entries.size() >= shard.sweep_at) sweep(shard, now);
        it = shard.entries.try_emplace(name.local).first;
    }
    Entry& e = it->second;
    if (e.phase != Entry::Phase::idle) return {FileState::filling, e.error_message};
    // Deleted (or made unservable) since it was counted: the fill replaces it.
    if (e.counted) uncount(e);
    // A miss is remembered per spelling: another spelling may well exist.
    if (const Miss* miss = e.miss_of(name.origin, now)) return {FileState::not_found, miss->message};
    if (now < e.retry_at) return {FileState::failed, e.error_message};
    if (!try_enqueue(name, false))
        return {FileState::queue_full,
                fmt::format("too many fills waiting ({}); not fetching this file now", options.max_queued)};
    e.phase = Entry::Phase::queued;
    return {FileState::filling, e.error_message};
}

void FillEngine::Impl::worker_loop(AbortSlot& slot) {
    for (;;) {
        Job job;
        {
            std::unique_lock lock(queue_mutex);
            work_ready.wait(lock, [this] { return stopping || !queue.empty(); });
            if (stopping) return;
            job = std::move(queue.front());
            queue.pop_front();
            ++running;
        }
        run(job, slot);
        std::lock_guard lock(queue_mutex);
        --running;
        if (running == 0 && queue.empty()) idle.notify_all();
    }
}

void FillEngine::Impl::run(const Job& job, AbortSlot& slot) {
    origins::FetchRequest req;
    req.key = job.name.origin;
    req.max_size = options.max_file_size;
    // A file larger than the whole cache could not be kept even by evicting everything else.
    const bool cache_is_the_limit =
        options.max_cache_bytes > 0 && (req.max_size == 0 || options.max_cache_bytes < req.max_size);
    if (cache_is_the_limit) req.max_size = options.max_cache_bytes;
    // A copy is revalidated under the key it was fetched with, whoever's
    // spelling asked: the origin may be case-sensitive.
    bool key_known = true;
    {
        Shard& shard = shard_of(job.name.local);
        std::lock_guard lock(shard.mutex);
        Entry& e = shard.entries[job.name.local];
        e.phase = Entry::Phase::running;
        if (job.revalidate && e.meta) {
            req.validators = {e.meta->etag, e.meta->last_modified};
            if (!e.meta->origin_key.empty()) req.key = e.meta->origin_key;
            else key_known = false;  // a record from before keys were kept: the asker's spelling is a guess
        }
    }
    const bool had_copy = copy_size(job.name.local).has_value();
    // The copy may have been deleted since the revalidation was queued: then fetch it whole.
    if (!had_copy) {
        req.validators = {};
        key_known = true;
    }

    spdlog::info("fill {}: {} from {}", req.key, req.validators.empty() ? "fetching" : "revalidating",
                 origin->describe());
    const auto started = steady::now();
    const TransferPaths paths{temp_dir, options.cache_dir / job.name.local};
    FetchResult result = transfer(*origin, req, paths, slot);
    const double seconds = std::chrono::duration<double>(steady::now() - started).count();
    if (result.status == FetchStatus::not_modified && req.validators.empty()) {
        result.status = FetchStatus::origin_error;
        result.message = "origin answered 304 Not Modified to an unconditional request";
    }
    if (result.status == FetchStatus::too_large && cache_is_the_limit)
        result.message = fmt::format("file is larger than the cache (max_cache_size {} bytes)", options.max_cache_bytes);
    record_outcome(job, req, had_copy, key_known, result, seconds);
    if (result.status == FetchStatus::ok && options.max_cache_bytes > 0) evict_if_over_limit(&job.name.local);
}

// Update the metadata on disk first (no lock held during I/O; single flight
// means no other fill of this file runs), then the entry.
void FillEngine::Impl::record_outcome(const Job& job, const origins::FetchRequest& req, bool had_copy,
                                      bool key_known, const FetchResult& result, double seconds) {
    const std::string& key = req.key;
    const std::string& local = job.name.local;
    Shard& shard = shard_of(local);
    std::optional<store::FileMeta> new_meta;
    // A 404 for the key the copy was fetched with means the origin deleted it;
    // a 404 for a guessed spelling says nothing about the copy.
    const bool copy_gone = result.status == FetchStatus::not_found && job.revalidate && had_copy && key_known;
    const bool copy_kept = result.status == FetchStatus::not_found && job.revalidate && had_copy && !key_known;

    switch (result.status) {
    case FetchStatus::ok: {
        new_meta = store::FileMeta{result.etag, result.last_modified, result.bytes, unix_now(), key};
        spdlog::info("fill {}: {} bytes in {:.2f} s", key, result.bytes, seconds);
        break;
    }
    case FetchStatus::not_modified: {
        std::lock_guard lock(shard.mutex);
        new_meta = shard.entries[local].meta.value_or(store::FileMeta{});
        new_meta->fetched_at = unix_now();
        new_meta->origin_key = key;  // confirmed by the origin
        // RFC 9111 §4.3.4: a 304 updates the stored validators it carries.
        if (!result.etag.empty()) new_meta->etag = result.etag;
        if (!result.last_modified.empty()) new_meta->last_modified = result.last_modified;
        spdlog::info("fill {}: not modified at the origin, copy kept", key);
        break;
    }
    case FetchStatus::not_found:
        if (copy_kept) {
            // Not asked again before revalidate_after, as if it had been a 304.
            std::lock_guard lock(shard.mutex);
            new_meta = shard.entries[local].meta.value_or(store::FileMeta{});
            new_meta->fetched_at = unix_now();
            spdlog::info("fill {}: not at the origin under this spelling; the copy it was fetched as is kept", key);
            break;
        }
        if (copy_gone) {
            // The origin no longer has the file: stop serving a copy of something deleted.
            if (int error = store::unlink_beneath(cache_dir_fd.get(), local); error != 0 && error != ENOENT)
                spdlog::warn("fill {}: cannot remove the copy gone from the origin: {}", key, std::strerror(error));
            else
                spdlog::info("fill {}: gone from the origin, local copy removed", key);
        }
        if (!had_copy || copy_gone) metadata.remove(local);
        break;
    default:
        break;
    }
    if (new_meta) {
        if (std::string error = metadata.save(local, *new_meta); !error.empty())
            spdlog::warn("fill {}: metadata not saved: {}", key, error);
    }

    std::lock_guard lock(shard.mutex);
    Entry& e = shard.entries[local];
    e.phase = Entry::Phase::idle;
    const auto now = steady::now();
    if (result.status == FetchStatus::ok || result.status == FetchStatus::not_modified || copy_kept) {
        if (result.status == FetchStatus::ok && options.max_cache_bytes > 0) {
            count(e, result.bytes);  // a replaced copy counts its new size only
            e.last_used = unix_now_ns();
        }
        if (result.status == FetchStatus::ok) e.misses.clear();
        e.meta = std::move(new_meta);
        e.failures = 0;
        e.retry_at = {};
        e.error_message.clear();
        return;
    }
    if (result.status == FetchStatus::not_found) {
        if (copy_gone) uncount(e);
        if (!had_copy || copy_gone) e.meta.reset();
        const std::string message = not_found_message(key, result);
        spdlog::info("fill {}: {}; remembered for {} s", key, message, options.negative_ttl.count());
        e.remember_miss(Miss{key, now + options.negative_ttl, message});
        return;
    }
    if (stopping) return;  // abandoned at shutdown: not the origin's fault, no backoff
    e.failures += 1;
    const auto delay = backoff_delay(e.failures, options.retry_min, options.retry_max);
    e.retry_at = now + delay;
    if (!result.message.empty())
        e.error_message = result.message;
    else if (result.status == FetchStatus::too_large)
        e.error_message = fmt::format("file is larger than the maximum file size ({} bytes)", options.max_file_size);
    else
        e.error_message = fmt::format("fetch failed: {}", origins::to_string(result.status));
    spdlog::warn("fill {}: failed ({}): {}; next try in {} s{}", key, origins::to_string(result.status),
                 e.error_message, delay.count(), had_copy ? "; the cached copy keeps serving" : "");
}

FillEngine::FillEngine(FillOptions options, std::unique_ptr<origins::Origin> origin)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(origin))) {
    Impl& d = *impl_;
    if (!d.origin) throw std::invalid_argument("fill engine: no origin");
    if (std::string error = d.metadata.prepare(); !error.empty()) throw std::runtime_error(error);
    d.cache_dir_fd.reset(::open(d.options.cache_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!d.cache_dir_fd)
        throw std::runtime_error(fmt::format("cannot open cache directory {}: {}", d.options.cache_dir.string(),
                                             std::strerror(errno)));
    // Crash recovery: whatever is in the temporary folder belongs to a fill that
    // never finished (kill -9, power loss). It was never visible; throw it away.
    d.remove_leftover_temp_files();
    d.load_metadata();
    if (d.options.max_cache_bytes > 0) {
        d.count_cached_files();
        d.evict_if_over_limit(nullptr);
    }
    const unsigned workers = std::max(1u, d.options.workers);
    for (unsigned i = 0; i < workers; ++i) d.abort_slots.push_back(std::make_unique<AbortSlot>());
    for (unsigned i = 0; i < workers; ++i) d.workers.emplace_back([&d, i] { d.worker_loop(*d.abort_slots[i]); });
    spdlog::info("fill engine: {} worker(s), up to {} queued, origin {}", workers, d.options.max_queued,
                 d.origin->describe());
}

// Queued fills are dropped; running transfers are cut short through their
// abort slot (the origin's next write fails). A transfer stalled without
// writing ends by the origin's own timeouts (low_speed_time), so shutdown
// waits at most that long.
FillEngine::~FillEngine() {
    Impl& d = *impl_;
    {
        std::lock_guard lock(d.queue_mutex);
        d.stopping = true;
        d.queue.clear();
    }
    d.work_ready.notify_all();
    for (auto& slot : d.abort_slots) slot->abort();
    for (auto& worker : d.workers) worker.join();
}

FileStatus FillEngine::ensure(const store::Name& name) { return impl_->ensure(name, impl_->copy_size(name.local)); }

FileStatus FillEngine::ensure(const store::Name& name, std::optional<std::uint64_t> copy_size) {
    return impl_->ensure(name, copy_size);
}

std::string FillEngine::origin_url(const store::Name& name) const { return impl_->origin->public_url(name.origin); }

bool FillEngine::wait_idle(std::chrono::milliseconds timeout) {
    Impl& d = *impl_;
    std::unique_lock lock(d.queue_mutex);
    return d.idle.wait_for(lock, timeout, [&d] { return d.queue.empty() && d.running == 0; });
}

}  // namespace cache_tier::fill
