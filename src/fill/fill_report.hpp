#pragma once
// What the fill engine reports to operators (/metrics, /readyz, the status
// page): its load, the cache's size, the fills running and the last failures.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace cache_tier::fill {

struct FillError {
    std::int64_t at = 0;   // seconds since the epoch
    std::string name;      // the origin key asked for
    std::string reason;    // the `reason` label of cache_tier_fills_failed_total
    std::string message;   // as /verify's error_msg says it
};

// When the origin last answered anything (even a 404), and when a fetch last
// got no answer at all (timeout, refused connection, DNS, TLS); 0: never.
struct OriginContact {
    std::int64_t last_answer = 0;
    std::int64_t last_unreachable = 0;
    std::string unreachable_message;
};

struct RunningFill {
    std::string name;                   // the local name
    std::uint64_t written = 0;          // body bytes on disk so far
    std::optional<std::uint64_t> size;  // the final size, once the origin's head said it
};

struct FillReport {
    std::size_t queued = 0;   // fills waiting for a worker
    std::size_t running = 0;  // fills a worker is fetching
    std::uint64_t cached_files = 0, cached_bytes = 0;  // complete copies in the cache directory
    std::uint64_t evictions = 0;                       // files evicted for the size limit since the start
    std::vector<RunningFill> fills;                    // some of the running fills (up to kListed)
    std::vector<FillError> recent_errors;              // the last failures, oldest first
    OriginContact origin;
    static constexpr std::size_t kListed = 20;
};

}  // namespace cache_tier::fill
