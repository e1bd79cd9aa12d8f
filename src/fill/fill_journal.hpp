#pragma once
// What the fill engine tells operators about its fills: the metrics of each
// fetch (metrics/catalog.hpp), the last fill failures, and when the origin
// last answered. Written by fill workers, read by /metrics, /readyz and the
// status page. Private to src/fill; FillEngine::report() hands out copies.
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "fill/fill_report.hpp"
#include "metrics/catalog.hpp"
#include "origins/origin.hpp"

namespace cache_tier::fill {

// The reason a fetch with this result failed; nothing if it succeeded.
std::optional<metrics::FillFailure> failure_of(const origins::FetchResult& result);

class FillJournal {
public:
    static constexpr std::size_t kRecentErrors = 20;

    // A fetch ended, after `seconds`, at `now` (seconds since the epoch).
    void fetched(const std::string& key, const origins::FetchResult& result, double seconds, std::int64_t now);

    // A probe of the origin ended: only its contact is noted.
    void probed(const origins::FetchResult& result, std::int64_t now);

    std::vector<FillError> recent_errors() const;  // oldest first
    OriginContact origin_contact() const;

private:
    void remember(FillError error);
    void note_contact(const origins::FetchResult& result, std::int64_t now);

    mutable std::mutex mutex_;
    std::deque<FillError> errors_;
    OriginContact contact_;
};

}  // namespace cache_tier::fill
