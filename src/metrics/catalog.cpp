#include "metrics/catalog.hpp"

#include <array>
#include <map>
#include <mutex>
#include <string>

#include "metrics/exposition.hpp"
#include "metrics/registry.hpp"

namespace cache_tier::metrics {

namespace {

// Status codes 100..599 each have a slot; anything else (never sent) shares the last.
constexpr int kFirstStatus = 100;
constexpr std::size_t kStatusSlots = 501;

std::size_t status_slot(int status) {
    return status >= kFirstStatus && status < kFirstStatus + 500 ? static_cast<std::size_t>(status - kFirstStatus) : 500;
}

constexpr std::array<std::string_view, kRouteCount> kRouteNames = {"other",   "static", "verify", "download",
                                                                   "index",   "metrics", "health", "admin"};
constexpr std::array<std::string_view, kCacheResultCount> kResultNames = {"none", "hit", "stream", "miss"};
constexpr std::array<std::string_view, kFillFailureCount> kFailureNames = {
    "not_found", "refused", "origin_error", "short_body", "timeout",
    "connection_error", "too_large", "disk", "cancelled", "queue_full"};

// Constructed on first use, so recording from a static initialiser is safe too.
struct Catalog {
    CounterArray requests{kRouteCount * kStatusSlots};
    CounterArray response_bytes{kRouteCount};
    CounterArray cache_requests{kCacheResultCount};
    CounterArray cache_bytes{kCacheResultCount};
    Counter connections_opened, connections_closed, connections_rejected;
    Counter fills_started, fills_succeeded;
    CounterArray fills_failed{kFillFailureCount};
    Counter origin_bytes;
    // Origin fetches: from 50 ms (a small file nearby) to 5 minutes (a large video).
    Histogram origin_seconds{{0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300}};
    // Set once at start, read by each scrape.
    std::mutex tls_mutex;
    std::map<std::string, bool> tls_listeners;
};

Catalog& catalog() {
    static Catalog* c = new Catalog;  // never destroyed: threads may record during exit
    return *c;
}

std::uint64_t sum_of(const std::vector<std::uint64_t>& v) {
    std::uint64_t total = 0;
    for (auto n : v) total += n;
    return total;
}

}  // namespace

std::string_view to_string(Route route) { return kRouteNames[static_cast<std::size_t>(route)]; }
std::string_view to_string(FillFailure reason) { return kFailureNames[static_cast<std::size_t>(reason)]; }

void record_response(Route route, int status, CacheResult result, std::uint64_t body_bytes) {
    Catalog& c = catalog();
    const auto r = static_cast<std::size_t>(route);
    c.requests.add(r * kStatusSlots + status_slot(status));
    c.response_bytes.add(r, body_bytes);
    if (result != CacheResult::none) {
        c.cache_requests.add(static_cast<std::size_t>(result));
        c.cache_bytes.add(static_cast<std::size_t>(result), body_bytes);
    }
}

void connection_opened() { catalog().connections_opened.add(); }
void connection_closed() { catalog().connections_closed.add(); }
void connection_rejected() { catalog().connections_rejected.add(); }
void tls_listener(const std::string& listen, bool kernel_tls) {
    Catalog& c = catalog();
    std::lock_guard lock(c.tls_mutex);
    c.tls_listeners[listen] = kernel_tls;
}

void fill_started() { catalog().fills_started.add(); }
void fill_succeeded() { catalog().fills_succeeded.add(); }
void fill_failed(FillFailure reason) { catalog().fills_failed.add(static_cast<std::size_t>(reason)); }

void origin_fetch(double seconds, std::uint64_t body_bytes) {
    catalog().origin_seconds.observe(seconds);
    catalog().origin_bytes.add(body_bytes);
}

Summary summary() {
    Catalog& c = catalog();
    Summary s;
    s.requests = sum_of(c.requests.values());
    const auto results = c.cache_requests.values();
    const auto bytes = c.cache_bytes.values();
    s.hits = results[static_cast<std::size_t>(CacheResult::hit)];
    s.streams = results[static_cast<std::size_t>(CacheResult::stream)];
    s.misses = results[static_cast<std::size_t>(CacheResult::miss)];
    s.hit_bytes = bytes[static_cast<std::size_t>(CacheResult::hit)];
    s.stream_bytes = bytes[static_cast<std::size_t>(CacheResult::stream)];
    s.origin_bytes = c.origin_bytes.value();
    s.fills_started = c.fills_started.value();
    s.fills_succeeded = c.fills_succeeded.value();
    s.fills_failed = sum_of(c.fills_failed.values());
    // Read closed first: a connection opened between the two reads cannot make it negative.
    const std::uint64_t closed = c.connections_closed.value();
    const std::uint64_t opened = c.connections_opened.value();
    s.open_connections = opened >= closed ? opened - closed : 0;
    return s;
}

void write_exposition(std::string& out) {
    Catalog& c = catalog();
    Exposition x(out);
    const Summary s = summary();

    x.family("cache_tier_http_requests_total", "counter",
             "HTTP responses by route and status code, counted when the response ends (whole or cut short)");
    const auto requests = c.requests.values();
    for (std::size_t r = 0; r < kRouteCount; ++r)
        for (std::size_t i = 0; i < kStatusSlots; ++i)
            if (const auto n = requests[r * kStatusSlots + i]) {
                const std::string code = i < 500 ? std::to_string(kFirstStatus + static_cast<int>(i)) : "other";
                x.sample("cache_tier_http_requests_total", {{"route", kRouteNames[r]}, {"code", code}}, n);
            }

    x.family("cache_tier_http_response_body_bytes_total", "counter",
             "Response body bytes written to client sockets, by route (partial sends of cut-short responses included)");
    const auto route_bytes = c.response_bytes.values();
    for (std::size_t r = 0; r < kRouteCount; ++r)
        x.sample("cache_tier_http_response_body_bytes_total", {{"route", kRouteNames[r]}}, route_bytes[r]);

    x.family("cache_tier_bytes_served_total", "counter",
             "Body bytes the static route wrote to clients from the cache: complete copies and files being filled");
    x.sample("cache_tier_bytes_served_total", {}, s.hit_bytes + s.stream_bytes);

    x.family("cache_tier_cache_requests_total", "counter",
             "Cache lookups by result: hit (complete copy served), stream (file being filled served), "
             "miss (/download sent to the origin, /verify answering not available)");
    const auto results = c.cache_requests.values();
    for (std::size_t i = 1; i < kCacheResultCount; ++i)
        x.sample("cache_tier_cache_requests_total", {{"result", kResultNames[i]}}, results[i]);

    x.family("cache_tier_cache_bytes_total", "counter",
             "Bytes by cache result: hit and stream are body bytes served from the cache, "
             "miss is body bytes fetched from the origin by fills (= cache_tier_origin_bytes_total)");
    x.sample("cache_tier_cache_bytes_total", {{"result", "hit"}}, s.hit_bytes);
    x.sample("cache_tier_cache_bytes_total", {{"result", "stream"}}, s.stream_bytes);
    x.sample("cache_tier_cache_bytes_total", {{"result", "miss"}}, s.origin_bytes);

    x.family("cache_tier_origin_bytes_total", "counter",
             "Body bytes fetched from the origin by fills, whether the fill succeeded or not");
    x.sample("cache_tier_origin_bytes_total", {}, s.origin_bytes);

    x.family("cache_tier_fills_started_total", "counter", "Fills taken by a fill worker (first fetches and revalidations)");
    x.sample("cache_tier_fills_started_total", {}, s.fills_started);
    x.family("cache_tier_fills_succeeded_total", "counter",
             "Fills that ended with a complete copy in place, or a revalidation confirming the copy (304)");
    x.sample("cache_tier_fills_succeeded_total", {}, s.fills_succeeded);
    x.family("cache_tier_fills_failed_total", "counter",
             "Fills that failed, by reason; queue_full counts fills never started because the queue was full");
    const auto failed = c.fills_failed.values();
    for (std::size_t i = 0; i < kFillFailureCount; ++i)
        x.sample("cache_tier_fills_failed_total", {{"reason", kFailureNames[i]}}, failed[i]);

    x.histogram("cache_tier_origin_fetch_duration_seconds",
                "Time from a fill's request to the origin to the end of its body (or its failure)", c.origin_seconds);

    x.family("cache_tier_connections_accepted_total", "counter", "Client connections accepted and served");
    x.sample("cache_tier_connections_accepted_total", {}, c.connections_opened.value());
    x.family("cache_tier_connections_rejected_total", "counter",
             "Client connections refused with a 503 because max_connections were open");
    x.sample("cache_tier_connections_rejected_total", {}, c.connections_rejected.value());
    x.family("cache_tier_open_connections", "gauge", "Client connections open now");
    x.sample("cache_tier_open_connections", {}, s.open_connections);

    std::lock_guard lock(c.tls_mutex);
    if (c.tls_listeners.empty()) return;
    x.family("cache_tier_tls_listener_info", "gauge",
             "1 per HTTPS listener; ktls=\"1\" when it sends files through kernel TLS (SSL_sendfile), "
             "\"0\" when through SSL_write from a buffer");
    for (const auto& [listen, ktls] : c.tls_listeners)
        x.sample("cache_tier_tls_listener_info", {{"listen", listen}, {"ktls", ktls ? "1" : "0"}}, std::uint64_t{1});
}

}  // namespace cache_tier::metrics
