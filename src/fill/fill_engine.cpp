// The fill engine ties its parts together: the per-file state table
// (file_table), the queue and its workers (fill_queue), the cache's size
// (cache_accounting), and what a fetch means for a file (outcome). It owns
// the single-flight rule: at most one fill per local name is queued or running.
#include "fill/fill_engine.hpp"

#include <fcntl.h>

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <stdexcept>
#include <tuple>

#include <fmt/core.h>
#include <spdlog/spdlog.h>

#include "fill/cache_accounting.hpp"
#include "fill/cache_usage.hpp"
#include "fill/fill_journal.hpp"
#include "fill/origin_probe.hpp"
#include "fill/file_admin.hpp"
#include "fill/file_table.hpp"
#include "fill/fill_progress.hpp"
#include "fill/fill_queue.hpp"
#include "fill/outcome.hpp"
#include "fill/space_reservation.hpp"
#include "fill/transfer.hpp"
#include "http/response.hpp"
#include "store/file_cache.hpp"
#include "store/layout.hpp"
#include "store/metadata.hpp"
#include "store/safe_open.hpp"
#include "common/unique_fd.hpp"

namespace cache_tier::fill {

namespace fs = std::filesystem;
using origins::FetchResult;
using origins::FetchStatus;

namespace {

UniqueFd open_cache_dir(const fs::path& dir) {
    UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd) throw std::runtime_error(fmt::format("cannot open cache directory {}: {}", dir.string(), std::strerror(errno)));
    return fd;
}

}  // namespace

struct FillEngine::Impl {
    const FillOptions options;
    const Clock& clock;
    std::unique_ptr<origins::Origin> origin;
    store::MetadataStore records;
    const fs::path temp_dir;
    UniqueFd cache_dir_fd;
    std::mutex reattach_mutex;  // one worker at a time takes in a new cache directory
    FileTable table;
    CacheAccounting accounting;
    FillJournal journal;
    // The last walk of the cache directory, and what had changed by then.
    std::mutex usage_mutex;
    StoredCopies usage;
    std::chrono::steady_clock::time_point usage_at{};
    std::uint64_t usage_changes = ~0ull;
    std::atomic<std::uint64_t> changes{0};  // copies placed or removed by fills
    std::atomic<bool> probing{false};       // a probe of the origin is queued or running
    CacheParts parts{table, records, accounting, cache_dir_fd.get(), clock};
    FillQueue queue;  // last: its workers stop before anything they use goes

    Impl(FillOptions opts, std::unique_ptr<origins::Origin> org, const Clock& clk)
        : options(std::move(opts)),
          clock(clk),
          origin(std::move(org)),
          records(options.cache_dir),
          temp_dir(options.cache_dir / store::kTempDir),
          cache_dir_fd(prepare_and_open()),
          accounting(SpaceLimits{options.max_cache_bytes, options.min_free_bytes, options.min_free_percent},
                     options.cache_dir, cache_dir_fd.get(), table, records, clock),
          queue(options.max_queued, options.workers) {}

    UniqueFd prepare_and_open() {
        if (!origin) throw std::invalid_argument("fill engine: no origin");
        if (Status prepared = records.prepare(); !prepared) throw std::runtime_error(prepared.error().message);
        return open_cache_dir(options.cache_dir);
    }

    // The size of the copy the static route would serve under `local`, if any.
    std::optional<std::uint64_t> copy_size(const std::string& local) const {
        return store::servable_size(cache_dir_fd.get(), local);
    }

    Status reattach_cache_dir();
    void remove_leftover_temp_files();
    void load_records();
    void index_existing_files();
    bool queue_fill(Entry& e, const store::Name& name, bool revalidate);
    bool discarded(const Job& job, Entry& e);
    FileStatus ensure(const store::Name& name, std::optional<std::uint64_t> copy);
    FileStatus ensure_missing(const store::Name& name, FileTable::Locked& shard);
    bool revalidation_due(const Entry& e, std::uint64_t copy) const;
    void run(const Job& job, AbortSlot& slot);
    std::shared_ptr<const http::OpenFile> streaming_file(const store::Name& name);
    void record(const Job& job, const FetchAttempt& attempt, const FetchResult& result, double seconds);
    void drop_stale_copy(const std::string& local);
    StoredCopies current_usage();
};

// Before each fill (two stat calls against a fetch): a cache directory
// removed under the server fails the fill saying so; once a directory is back
// at the path it is set up as at start and filled (store::reattach_directory).
Status FillEngine::Impl::reattach_cache_dir() {
    std::lock_guard lock(reattach_mutex);
    auto reattached = store::reattach_directory(cache_dir_fd.get(), options.cache_dir.string());
    if (!reattached)
        return Error{fmt::format("cache directory {}; fills resume once it is back", reattached.error().message)};
    if (!*reattached) return {};
    spdlog::warn("cache directory {} was replaced under the server; filling the new one", options.cache_dir.string());
    return records.prepare();
}

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

void FillEngine::Impl::load_records() {
    std::vector<std::string> problems;
    auto loaded = records.load_all(&problems);
    for (const auto& problem : problems) spdlog::warn("{}", problem);
    std::size_t kept = 0;
    const auto now = clock.steady_now();
    for (auto& [name, meta] : loaded) {
        // A record whose file an operator deleted describes nothing any more.
        if (!copy_size(name)) {
            records.remove(name);
            continue;
        }
        auto shard = table.lock(name);
        shard.get(name, now).meta = std::move(meta);
        table.names().insert(name);
        ++kept;
    }
    if (kept > 0) spdlog::info("loaded metadata of {} cached file(s)", kept);
}

// Copies without a record (put there by an operator) are cached files too.
// With a size limit, counting the files at start indexes them already.
void FillEngine::Impl::index_existing_files() {
    const std::error_code ec = store::for_each_cached_file(
        options.cache_dir, [&](const std::string& local, const struct stat&) { table.names().insert(local); });
    if (ec) spdlog::warn("cannot read all of the cache directory {}: {}", options.cache_dir.string(), ec.message());
}

// With the entry's shard locked. Single flight: the caller saw it idle.
bool FillEngine::Impl::queue_fill(Entry& e, const store::Name& name, bool revalidate) {
    Job job{name, revalidate};
    job.generation = e.generation;
    if (!queue.try_push(std::move(job))) return false;
    e.phase = Phase::queued;
    table.in_flight().insert(name.local);
    return true;
}

// With the entry's shard locked: a purge since the job was queued voids it.
// The entry is left idle, as if the job had never been.
bool FillEngine::Impl::discarded(const Job& job, Entry& e) {
    if (e.generation == job.generation) return false;
    e.phase = Phase::idle;
    e.progress.reset();
    e.streaming_file.reset();
    e.stop_fetch.reset();
    e.voided = false;
    table.in_flight().erase(job.name.local);
    // Asked for since the purge: "the next /verify fills it again" holds for a
    // request that came while the voided fill was still under way.
    if (e.refill) {
        const store::Name name = std::move(*e.refill);
        e.refill.reset();
        if (queue_fill(e, name, false)) e.progress = std::make_shared<FillProgress>(clock);
    }
    return true;
}

// Without a record, or with a size that is not what was fetched, the copy was
// put there by an operator: it is theirs to refresh.
bool FillEngine::Impl::revalidation_due(const Entry& e, std::uint64_t copy) const {
    if (!e.meta || e.meta->size != copy || e.phase != Phase::idle) return false;
    if (clock.unix_seconds() - e.meta->fetched_at < options.revalidate_after.count()) return false;
    return clock.steady_now() >= e.retry_at;
}

FileStatus FillEngine::Impl::ensure(const store::Name& name, std::optional<std::uint64_t> copy) {
    // The hot path: a cached file without revalidation or size limit takes no lock.
    if (copy && options.revalidate_after.count() <= 0 && !accounting.active()) return {FileState::cached, {}};

    auto shard = table.lock(name.local);
    if (!copy) return ensure_missing(name, shard);
    accounting.note_use(shard, name.local);
    if (options.revalidate_after.count() > 0) {
        Entry* e = shard.find(name.local);
        if (e && revalidation_due(*e, *copy)) queue_fill(*e, name, true);
    }
    return {FileState::cached, {}};
}

FileStatus FillEngine::Impl::ensure_missing(const store::Name& name, FileTable::Locked& shard) {
    const auto now = clock.steady_now();
    Entry& e = shard.get(name.local, now);
    if (e.phase != Phase::idle) {
        if (e.voided) e.refill = name;
        return {FileState::filling, e.error_message};
    }
    // Deleted (or made unservable) since it was counted: the fill replaces it.
    accounting.uncount(e);
    // A miss is remembered per spelling: another spelling may well exist.
    if (const Miss* miss = e.miss_of(name.origin, now)) return {FileState::not_found, miss->message};
    if (now < e.retry_at) return {FileState::failed, e.error_message};
    if (!queue_fill(e, name, false)) {
        metrics::fill_failed(metrics::FillFailure::queue_full);
        return {FileState::queue_full,
                fmt::format("too many fills waiting ({}); not fetching this file now", queue.max_queued())};
    }
    // From now on a request may wait for the fill's head (see when_head).
    e.progress = std::make_shared<FillProgress>(clock);
    return {FileState::filling, e.error_message};
}

void FillEngine::Impl::run(const Job& job, AbortSlot& slot) {
    origins::FetchRequest req;
    req.key = job.name.origin;
    req.max_size = options.max_file_size;
    // A file larger than the whole cache could not be kept even by evicting everything else.
    const bool cache_is_the_limit = accounting.limited() && (req.max_size == 0 || accounting.limit() < req.max_size);
    if (cache_is_the_limit) req.max_size = accounting.limit();
    FetchAttempt attempt;
    // Every fill chooses the copy's time; a first fill is also served while it
    // runs, through the progress made when it was queued.
    std::shared_ptr<FillProgress> progress;
    // A purge from now on stops the fetch: its bytes would be thrown away.
    const auto stop_fetch = std::make_shared<std::atomic<bool>>(false);
    req.purged = stop_fetch.get();
    {
        auto shard = table.lock(job.name.local);
        Entry& e = shard.get(job.name.local, clock.steady_now());
        if (discarded(job, e)) return;  // purged while it waited
        e.phase = Phase::running;
        e.stop_fetch = stop_fetch;
        if (!job.revalidate && e.progress) progress = e.progress;
        else progress = std::make_shared<FillProgress>(clock);
        // A copy is revalidated under the key it was fetched with, whoever's
        // spelling asked: the origin may be case-sensitive.
        if (job.revalidate && e.meta) {
            req.validators = {e.meta->etag, e.meta->last_modified};
            if (!e.meta->origin_key.empty()) req.key = e.meta->origin_key;
            else attempt.key_known = false;  // a record from before keys were kept: the asker's spelling is a guess
        }
    }
    // The copy may have been deleted since the revalidation was queued: then fetch it whole.
    attempt.revalidation = job.revalidate && copy_size(job.name.local).has_value();
    if (!attempt.revalidation) {
        req.validators = {};
        attempt.key_known = true;
    }
    attempt.key = req.key;
    attempt.conditional = !req.validators.empty();

    spdlog::info("fill {}: {} from {}", req.key, attempt.conditional ? "revalidating" : "fetching", origin->describe());
    metrics::fill_started();
    const auto started = clock.steady_now();
    TransferTarget target{temp_dir, cache_dir_fd.get(), job.name.local, nullptr};
    // A purge that came while it ran: nothing is placed (see record()).
    target.guard_place = [&](const std::function<Status()>& place) -> Status {
        auto shard = table.lock(job.name.local);
        Entry* e = shard.find(job.name.local);
        if (!e || e->generation != job.generation) return Error{"purged while it filled", ECANCELED};
        return place();
    };
    // Room in the cache is reserved before the first byte is written; the
    // progress hears of the head only once it is. Given back when this ends,
    // after record() has counted the placed copy.
    SpaceReservation space(accounting, job.name.local, req.key, progress.get());
    if (attempt.revalidation) space.make_way_by([&] { drop_stale_copy(job.name.local); });
    req.observer = &space;
    FetchResult result;
    if (Status dir = reattach_cache_dir(); !dir) result.message = dir.error().message;  // a local error
    else result = transfer(*origin, req, target, slot, progress.get());
    // Streaming readers finish from their own descriptor, or end their connections now.
    progress->finish(result.status == FetchStatus::ok);
    const double seconds = std::chrono::duration<double>(clock.steady_now() - started).count();
    if (space.larger_than_cache()) result.status = FetchStatus::too_large;
    if (result.status == FetchStatus::too_large && cache_is_the_limit)
        result.message = fmt::format("file is larger than the cache (max_cache_size {} bytes)", accounting.limit());
    journal.fetched(attempt.key, result, seconds, clock.unix_seconds());
    record(job, attempt, result, seconds);
}

// A revalidation's new version needs the room of the copy it replaces: the
// stale copy and its record go now, under the shard's lock as a purge's do,
// and users go to the origin until the new version is in place. The fill
// runs on; if it fails, the file is fetched again on the next request.
void FillEngine::Impl::drop_stale_copy(const std::string& local) {
    {
        auto shard = table.lock(local);
        Entry& e = shard.get(local, clock.steady_now());
        if (Status removed = store::unlink_beneath(cache_dir_fd.get(), local); !removed && removed.code() != ENOENT) {
            spdlog::warn("fill {}: the stale copy cannot make way for its new version: {}", local,
                         removed.error().message);
            return;
        }
        records.remove(local);
        table.names().erase(local);
        accounting.uncount(e);
        e.meta.reset();
    }
    store::note_removal();
    changes.fetch_add(1);
    spdlog::info("fill {}: the stale copy makes way for its new version", local);
}

// The entry changes under its shard's lock; the disk work it calls for is
// done after, with no lock held (single flight: no other fill of this file
// runs, and the entry stays `running` until the work is done).
void FillEngine::Impl::record(const Job& job, const FetchAttempt& attempt, const FetchResult& result, double seconds) {
    const std::string& local = job.name.local;
    OutcomePolicy policy{options.negative_ttl, options.retry_min, options.retry_max, options.max_file_size,
                         queue.stopping()};
    const OutcomeNow now{clock.steady_now(), clock.unix_seconds(), clock.unix_nanoseconds()};
    OutcomeEffects effects;
    {
        auto shard = table.lock(local);
        Entry& e = shard.get(local, now.steady);
        if (discarded(job, e)) {
            spdlog::info("fill {}: purged while it ran; its result is discarded", attempt.key);
            return;
        }
        effects = apply_outcome(e, attempt, result, now, policy);
    }
    if (effects.remove_copy) {
        if (Status removed = store::unlink_beneath(cache_dir_fd.get(), local); !removed && removed.code() != ENOENT)
            spdlog::warn("fill {}: the copy gone from the origin stays: {}", attempt.key, removed.error().message);
    }
    // A copy replaced by a new version, or removed as gone from the origin:
    // every thread's open-file cache looks again at once, not within a second.
    if (effects.remove_copy || (attempt.revalidation && result.status == FetchStatus::ok)) store::note_removal();
    if (effects.remove_record) records.remove(local);
    if (effects.remove_copy || effects.count_size || effects.uncount) changes.fetch_add(1);
    if (effects.save_record) {
        if (Status saved = records.save(local, *effects.save_record); !saved)
            spdlog::warn("fill {}: metadata not saved: {}", attempt.key, saved.error().message);
    }
    // The placed copy and its record, as they are on disk.
    const bool count_copy = effects.count_size && accounting.active();
    const std::uint64_t counted = count_copy ? accounting.measure_fill(local) : 0;
    if (effects.warn)
        spdlog::warn("fill {}: {}", attempt.key, effects.log);
    else
        spdlog::info("fill {}: {} ({:.2f} s)", attempt.key, effects.log, seconds);

    auto shard = table.lock(local);
    Entry& e = shard.get(local, now.steady);
    // Purged since the outcome was applied: the purge removed the copy, and the record saved since goes too.
    if (e.generation != job.generation) {
        records.remove(local);
        discarded(job, e);
        return;
    }
    if (effects.uncount) accounting.uncount(e);
    if (count_copy) accounting.count(e, counted);
    if (effects.remove_copy) table.names().erase(local);
    if (effects.count_size) table.names().insert(local);
    table.in_flight().erase(local);
    e.progress.reset();
    e.streaming_file.reset();
    e.stop_fetch.reset();
    e.phase = Phase::idle;
}

// The file as it can be served while it fills: the origin's validators (the
// placed copy will have the same), the final size, and the fill's progress
// for the server core to wait on. One per fill, made on the first request.
std::shared_ptr<const http::OpenFile> FillEngine::Impl::streaming_file(const store::Name& name) {
    auto shard = table.lock(name.local);
    Entry* e = shard.find(name.local);
    if (!e || !e->progress || !e->progress->published() || e->progress->failed()) return nullptr;
    if (!e->streaming_file) {
        const FillProgress& p = *e->progress;
        UniqueFd fd(::dup(p.fd()));
        if (!fd) return nullptr;
        // Its time is already at most any Date sent (see FillProgress::mtime).
        auto file = http::describe_file(std::move(fd), p.size(), p.mtime(), clock.unix_seconds(), name.local);
        file->growing = e->progress;
        e->streaming_file = std::move(file);
    }
    return e->streaming_file;
}

// The walk is redone when a fill placed or removed a copy, an eviction ran, or
// 10 seconds passed (an operator may have changed the directory by hand).
StoredCopies FillEngine::Impl::current_usage() {
    constexpr std::chrono::seconds kMaxAge{10};
    std::lock_guard lock(usage_mutex);
    const std::uint64_t changed = changes.load() + accounting.evictions();
    const auto now = clock.steady_now();
    if (changed != usage_changes || now - usage_at >= kMaxAge) {
        usage = count_copies(options.cache_dir);
        usage_at = now;
        usage_changes = changed;
    }
    return usage;
}

OriginContact FillEngine::origin_contact() const { return impl_->journal.origin_contact(); }

void FillEngine::probe_origin_if_quiet(std::chrono::seconds quiet) {
    Impl& d = *impl_;
    const OriginContact c = d.journal.origin_contact();
    if (d.clock.unix_seconds() - std::max(c.last_answer, c.last_unreachable) < quiet.count()) return;
    if (d.probing.exchange(true)) return;
    if (!d.queue.try_push(Job{{}, false, true})) d.probing = false;  // a full queue: fills will tell soon enough
}

FillReport FillEngine::report() {
    Impl& d = *impl_;
    FillReport r;
    std::tie(r.queued, r.running) = d.queue.load();
    const StoredCopies usage = d.current_usage();
    r.cached_files = usage.files;
    r.cached_bytes = usage.bytes;
    r.evictions = d.accounting.evictions();
    d.table.for_each([&](const std::string& local, const Entry& e) {
        if (e.phase != Phase::running || r.fills.size() >= FillReport::kListed) return;
        RunningFill f{local, 0, std::nullopt};
        if (e.progress) {
            f.written = e.progress->available();
            if (e.progress->published()) f.size = e.progress->size();
        }
        r.fills.push_back(std::move(f));
    });
    r.recent_errors = d.journal.recent_errors();
    r.origin = d.journal.origin_contact();
    return r;
}

FillEngine::FillEngine(FillOptions options, std::unique_ptr<origins::Origin> origin, const Clock& clock)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(origin), clock)) {
    Impl& d = *impl_;
    // Crash recovery: whatever is in the temporary folder belongs to a fill that
    // never finished (kill -9, power loss). It was never visible; throw it away.
    d.remove_leftover_temp_files();
    d.load_records();
    d.accounting.count_existing_files();
    d.accounting.evict_if_over_limit();
    // Counting the files indexes them too; without a cap or floor nothing counts them.
    if (!d.accounting.active()) d.index_existing_files();
    d.queue.start([&d](const Job& job, AbortSlot& slot) {
        if (!job.probe) return d.run(job, slot);
        d.journal.probed(probe_origin(*d.origin, d.temp_dir, slot.aborted()), d.clock.unix_seconds());
        d.probing = false;
    });
    spdlog::info("fill engine: {} worker(s), up to {} queued, origin {}", d.queue.workers(), d.queue.max_queued(),
                 d.origin->describe());
}

// Queued fills are dropped; running transfers are cut short (see FillQueue::stop).
FillEngine::~FillEngine() { impl_->queue.stop(); }

FileStatus FillEngine::ensure(const store::Name& name) { return impl_->ensure(name, impl_->copy_size(name.local)); }

FileStatus FillEngine::ensure(const store::Name& name, std::optional<std::uint64_t> copy_size) {
    return impl_->ensure(name, copy_size);
}

std::string FillEngine::origin_url(const store::Name& name) const { return impl_->origin->public_url(name.origin); }

std::shared_ptr<const http::OpenFile> FillEngine::streaming_file(const store::Name& name) {
    return impl_->streaming_file(name);
}

bool FillEngine::when_head(const store::Name& name, std::function<void()> wake) {
    std::shared_ptr<FillProgress> progress;
    {
        auto shard = impl_->table.lock(name.local);
        Entry* e = shard.find(name.local);
        if (!e || !e->progress) return false;
        progress = e->progress;
    }
    // Outside the shard's lock: the wake-up may run at once.
    progress->when_head(std::move(wake));
    return true;
}

FillEngine::CacheUsage FillEngine::usage() const {
    const CacheAccounting& a = impl_->accounting;
    if (!a.active()) return {};
    return CacheUsage{true, a.files(), a.bytes(), a.reserved_bytes(), a.evictions(), a.limit(), a.min_free()};
}

CachedFilePage FillEngine::list_cached(std::string_view prefix, std::string_view after, std::size_t limit) {
    return fill::list_cached(impl_->parts, prefix, after, limit);
}

// A purge changes what is stored, as a fill does: report() walks the cache again.
PurgeOutcome FillEngine::purge(const std::string& local) {
    const PurgeOutcome done = fill::purge(impl_->parts, local);
    if (done.removed_copy) impl_->changes.fetch_add(1);
    return done;
}

std::size_t FillEngine::purge_prefix(std::string_view prefix) {
    const std::size_t removed = fill::purge_prefix(impl_->parts, prefix);
    if (removed > 0) impl_->changes.fetch_add(1);
    return removed;
}

RefreshState FillEngine::refresh(const store::Name& name) {
    Impl& d = *impl_;
    if (!d.copy_size(name.local)) return RefreshState::not_cached;
    auto shard = d.table.lock(name.local);
    Entry& e = shard.get(name.local, d.clock.steady_now());
    if (e.phase != Phase::idle) return RefreshState::busy;
    return d.queue_fill(e, name, true) ? RefreshState::queued : RefreshState::queue_full;
}

bool FillEngine::wait_idle(std::chrono::milliseconds timeout) { return impl_->queue.wait_idle(timeout); }

}  // namespace cache_tier::fill
