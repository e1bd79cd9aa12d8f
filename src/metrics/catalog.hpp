#pragma once
// Every metric cache-tier records, in one place, with what each one means
// (docs/metrics.md says the same for operators). Any layer records here; the
// /metrics route writes them out. Recording costs a few stores into this
// thread's own counters (registry.hpp).
#include <cstdint>
#include <string>
#include <string_view>

namespace cache_tier::metrics {

// The endpoint a request went to: the `route` label.
enum class Route : std::uint8_t { other, static_file, verify, download, index, metrics, health, admin };
inline constexpr std::size_t kRouteCount = 8;
std::string_view to_string(Route route);

// What a request meant for the cache.
enum class CacheResult : std::uint8_t {
    none,    // not a cache lookup (the page, a 404 of an unknown endpoint, a /download sent to the local copy)
    hit,     // the static route answered from a complete cached copy
    stream,  // the static route answered from a file still being filled
    miss,    // a /download sent to the origin, or a /verify answering "available": false
};
inline constexpr std::size_t kCacheResultCount = 4;

// Why a fill failed: a bounded set, the `reason` label.
enum class FillFailure : std::uint8_t {
    not_found,         // the origin said 404 (or 403 for a missing key of a public bucket)
    refused,           // the origin refused the credentials or signature (401/403)
    origin_error,      // any other answer that is not the whole file (5xx, 206, encoded, no-store...)
    short_body,        // the origin closed before Content-Length bytes
    timeout,           // connect or transfer timed out
    connection_error,  // refused, reset, DNS, TLS
    too_large,         // over max_file_size or the cache's size
    disk,              // writing or placing the local copy failed
    cancelled,         // cut short by shutdown
    queue_full,        // not started: max_queued_fills were already waiting
};
inline constexpr std::size_t kFillFailureCount = 10;
std::string_view to_string(FillFailure reason);

// One response, counted when it ends (sent whole, or cut short: then with
// the bytes that did go out). `body_bytes`: body bytes the socket accepted.
void record_response(Route route, int status, CacheResult result, std::uint64_t body_bytes);
void connection_opened();
void connection_closed();
void connection_rejected();  // past max_connections: the canned 503

// An HTTPS listener (`listen`: "host:port") and whether it sends files
// through kernel TLS: the cache_tier_tls_listener_info gauge.
void tls_listener(const std::string& listen, bool kernel_tls);

void fill_started();
void fill_succeeded();
void fill_failed(FillFailure reason);
void origin_fetch(double seconds, std::uint64_t body_bytes);  // every fetch that ran, whatever its end

// The numbers the status page shows, read in one go.
struct Summary {
    std::uint64_t requests = 0;
    std::uint64_t hits = 0, streams = 0, misses = 0;
    std::uint64_t hit_bytes = 0, stream_bytes = 0;  // bytes served from the cache = their sum
    std::uint64_t origin_bytes = 0;
    std::uint64_t fills_started = 0, fills_succeeded = 0, fills_failed = 0;
    std::uint64_t open_connections = 0;
};
Summary summary();

// Writes every metric of this catalog in the exposition format.
void write_exposition(std::string& out);

}  // namespace cache_tier::metrics
