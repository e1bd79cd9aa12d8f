// GET /metrics: every counter of metrics/catalog, then the fill engine's
// gauges read now. Prometheus text format 0.0.4; never cached.
#include "metrics/catalog.hpp"
#include "metrics/exposition.hpp"
#include "routes/routes.hpp"

namespace cache_tier::routes {

void handle_metrics(http::Response& out, const RouteContext& ctx) {
    out.add_header("Content-Type", metrics::kContentType);
    out.add_header("Cache-Control", "no-store");
    metrics::write_exposition(out.body);
    metrics::Exposition x(out.body);
    fill::FillReport r;
    if (ctx.fills) r = ctx.fills->report();
    // Without an origin nothing fills: the queue is empty, and the cache's size is not watched.
    x.family("cache_tier_fill_queue_depth", "gauge", "Fills waiting for a fill worker");
    x.sample("cache_tier_fill_queue_depth", {}, static_cast<std::uint64_t>(r.queued));
    x.family("cache_tier_fills_in_flight", "gauge", "Fills a fill worker is fetching now");
    x.sample("cache_tier_fills_in_flight", {}, static_cast<std::uint64_t>(r.running));
    if (!ctx.fills) return;
    x.family("cache_tier_cached_files", "gauge", "Complete copies in the cache directory (counted at most 10 s ago)");
    x.sample("cache_tier_cached_files", {}, r.cached_files);
    x.family("cache_tier_cached_bytes", "gauge", "Bytes of the complete copies in the cache directory (counted at most 10 s ago)");
    x.sample("cache_tier_cached_bytes", {}, r.cached_bytes);
    x.family("cache_tier_evictions_total", "counter", "Files deleted to keep the cache under max_cache_size");
    x.sample("cache_tier_evictions_total", {}, r.evictions);
    // Under max_cache_size or min_free the engine counts the space on disk itself.
    if (const auto usage = ctx.fills->usage(); usage.counted) {
        x.family("cache_tier_cache_disk_bytes", "gauge",
                 "Space the cache takes on disk as counted for max_cache_size: copies, records, folders, state");
        x.sample("cache_tier_cache_disk_bytes", {}, usage.bytes);
        x.family("cache_tier_cache_reserved_bytes", "gauge", "Space held by fills in progress for what they write");
        x.sample("cache_tier_cache_reserved_bytes", {}, usage.reserved);
        x.family("cache_tier_cache_limit_bytes", "gauge", "max_cache_size; 0: none");
        x.sample("cache_tier_cache_limit_bytes", {}, usage.limit);
    }
    x.family("cache_tier_origin_last_answer_timestamp_seconds", "gauge",
             "When the origin last answered a fill (any HTTP answer, even 404), seconds since the epoch; 0: never");
    x.sample("cache_tier_origin_last_answer_timestamp_seconds", {}, static_cast<std::uint64_t>(std::max<std::int64_t>(0, r.origin.last_answer)));
    x.family("cache_tier_origin_last_unreachable_timestamp_seconds", "gauge",
             "When a fill last got no answer from the origin (timeout, connection), seconds since the epoch; 0: never");
    x.sample("cache_tier_origin_last_unreachable_timestamp_seconds", {}, static_cast<std::uint64_t>(std::max<std::int64_t>(0, r.origin.last_unreachable)));
}

}  // namespace cache_tier::routes
