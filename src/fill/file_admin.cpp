#include "fill/file_admin.hpp"

#include <spdlog/spdlog.h>

#include <cerrno>
#include <memory>

#include "fill/fill_progress.hpp"
#include "store/file_cache.hpp"
#include "store/safe_open.hpp"

namespace cache_tier::fill {

namespace {

// Names looked up per round of a prefix purge: the index is not held meanwhile.
constexpr std::size_t kPurgeBatch = 1000;

// With the shard locked: what the listing says of `name`, or nothing when its
// copy is gone (deleted by hand): then the index forgets it.
std::optional<CachedFileInfo> describe(CacheParts& p, FileTable::Locked& shard, const std::string& name) {
    const auto size = store::servable_size(p.cache_dir_fd, name);
    if (!size) {
        p.table.names().erase(name);
        return std::nullopt;
    }
    CachedFileInfo info;
    info.name = name;
    info.size = *size;
    if (const Entry* e = shard.find(name)) {
        if (e->meta) {
            info.fetched = e->meta->fetched_at;
            info.etag = e->meta->etag;
            info.origin_key = e->meta->origin_key;
        }
        if (p.accounting.active() && e->counted) info.last_used = e->last_used;
    }
    return info;
}

}  // namespace

CachedFilePage list_cached(CacheParts& p, std::string_view prefix, std::string_view after, std::size_t limit) {
    CachedFilePage page;
    std::string cursor(after);
    // One name more than asked tells whether another page follows.
    for (;;) {
        const std::size_t wanted = limit + 1 - page.files.size();
        const auto names = p.table.names().page(prefix, cursor, wanted);
        for (const std::string& name : names) {
            cursor = name;
            auto shard = p.table.lock(name);
            auto info = describe(p, shard, name);
            if (!info) continue;
            if (page.files.size() == limit) {
                page.more = true;
                return page;
            }
            page.files.push_back(std::move(*info));
        }
        if (names.size() < wanted) return page;
    }
}

// Under the shard's lock: no fill places the file, no request counts it, no
// revalidation starts between the removal of the copy and of its record.
PurgeOutcome purge(CacheParts& p, const std::string& local) {
    PurgeOutcome out;
    std::shared_ptr<FillProgress> never_run;
    {
        auto shard = p.table.lock(local);
        if (Status removed = store::unlink_beneath(p.cache_dir_fd, local); removed)
            out.removed_copy = true;
        else if (removed.code() != ENOENT && removed.code() != ENOTDIR && removed.code() != EISDIR)
            spdlog::warn("purge {}: {}", local, removed.error().message);
        p.records.remove(local);
        p.table.names().erase(local);
        const auto now = p.clock.steady_now();
        if (Entry* e = shard.find(local)) {
            p.accounting.uncount(*e);
            e->meta.reset();
            out.cleared_miss = !e->misses.empty() || e->retry_at > now;
            e->misses.clear();
            e->failures = 0;
            e->retry_at = {};
            e->error_message.clear();
            e->refill.reset();  // a request since the last purge: voided as a queued fill is
            if (e->phase != Phase::idle) {
                // The job sees the new generation: a queued one never runs, a
                // running one places nothing and records nothing.
                ++e->generation;
                e->voided = true;
                if (e->stop_fetch) e->stop_fetch->store(true);
                out.discarded_fill = true;
                e->streaming_file.reset();
                if (e->phase == Phase::queued) never_run = std::move(e->progress);
                e->progress.reset();
            } else if (e->forgettable(now)) {
                shard.erase(local);
            }
        }
    }
    // Requests waiting for that fill's head are let go (outside the lock: they may run at once).
    if (never_run) never_run->finish(false);
    if (out.removed_copy) {
        store::note_removal();
        spdlog::info("purge {}: copy removed{}", local, out.discarded_fill ? ", its fill discarded" : "");
    } else if (out.discarded_fill) {
        spdlog::info("purge {}: its fill discarded", local);
    }
    return out;
}

std::size_t purge_prefix(CacheParts& p, std::string_view prefix) {
    std::size_t removed = 0;
    // Every purge takes its name out of the index, so each round starts over.
    for (auto* index : {&p.table.names(), &p.table.in_flight()}) {
        for (;;) {
            const auto names = index->page(prefix, "", kPurgeBatch);
            if (names.empty()) break;
            for (const std::string& name : names) {
                if (purge(p, name).removed_copy) ++removed;
                // A name left in flight (its job not finished yet) is not asked for again.
                index->erase(name);
            }
        }
    }
    return removed;
}

}  // namespace cache_tier::fill
