// GET /status.json: what the status page shows, for people and scripts. The
// counts are those of /metrics, read at the same moment; names of files are
// escaped by the JSON writer (invalid UTF-8 replaced).
#include <nlohmann/json.hpp>

#include "metrics/catalog.hpp"
#include "routes/health.hpp"
#include "routes/routes.hpp"

namespace cache_tier::routes {

namespace {

using json = nlohmann::json;

constexpr double kBytesPerGb = 1024.0 * 1024.0 * 1024.0;  // as clouds bill transfer

// A ratio, or null while nothing was counted.
json ratio(std::uint64_t part, std::uint64_t whole) {
    return whole == 0 ? json(nullptr) : json(static_cast<double>(part) / static_cast<double>(whole));
}

json fills_json(const fill::FillReport& r, const metrics::Summary& s) {
    json running = json::array();
    for (const auto& f : r.fills)
        running.push_back({{"name", f.name}, {"written", f.written}, {"size", f.size ? json(*f.size) : json(nullptr)}});
    return {{"queued", r.queued},         {"running", r.running},
            {"started", s.fills_started}, {"succeeded", s.fills_succeeded},
            {"failed", s.fills_failed},   {"in_progress", std::move(running)}};
}

}  // namespace

void handle_status_json(http::Response& out, const RouteContext& ctx) {
    const metrics::Summary s = metrics::summary();
    fill::FillReport r;
    if (ctx.fills) r = ctx.fills->report();
    const std::uint64_t served = s.hit_bytes + s.stream_bytes;
    json errors = json::array();
    for (const auto& e : r.recent_errors)
        errors.push_back({{"at", e.at}, {"name", e.name}, {"reason", e.reason}, {"message", e.message}});
    const Readiness::Answer ready = ctx.readiness.check(ctx.fills);
    json doc = {
        {"origin", ctx.fills != nullptr},
        {"ready", ready.ready},
        {"not_ready_reason", ready.reason},
        {"cache", {{"files", ctx.fills ? json(r.cached_files) : json(nullptr)},
                   {"bytes", ctx.fills ? json(r.cached_bytes) : json(nullptr)},
                   {"evictions", r.evictions}}},
        {"requests", s.requests},
        {"open_connections", s.open_connections},
        {"hits", s.hits},
        {"streams", s.streams},
        {"misses", s.misses},
        // Hits and streams both served the user from this node.
        {"hit_ratio", ratio(s.hits + s.streams, s.hits + s.streams + s.misses)},
        {"bytes_served", served},
        {"origin_bytes", s.origin_bytes},
        {"byte_hit_ratio", ratio(served, served + s.origin_bytes)},
        {"origin_price_per_gb", ctx.options.origin_price_per_gb},
        {"origin_cost_saved", static_cast<double>(served) / kBytesPerGb * ctx.options.origin_price_per_gb},
        {"fills", fills_json(r, s)},
        {"recent_errors", std::move(errors)},
    };
    out.add_header("Content-Type", "application/json");
    out.add_header("Cache-Control", "no-store");
    out.body = doc.dump(-1, ' ', false, json::error_handler_t::replace);
    out.body += '\n';
}

}  // namespace cache_tier::routes
