#pragma once
// How long to wait before fetching a file again after its fills failed.
#include <chrono>

namespace cache_tier::fill {

// After the n-th failure in a row (n >= 1): retry_min, doubled for each further
// failure, never more than retry_max. A retry_max below retry_min is taken as retry_min.
inline std::chrono::seconds backoff_delay(unsigned failures, std::chrono::seconds retry_min,
                                          std::chrono::seconds retry_max) {
    if (retry_max < retry_min) retry_max = retry_min;
    std::chrono::seconds delay = retry_min;
    for (unsigned i = 1; i < failures && delay < retry_max; ++i) delay *= 2;
    return delay < retry_max ? delay : retry_max;
}

}  // namespace cache_tier::fill
