#pragma once
// The one source of time for everything that ages: negative caching, backoff,
// revalidation, eviction order. Modules take a `const Clock&`; the server
// passes system_clock(), unit tests a ManualClock they move by hand, so no
// unit test has to sleep.
#include <chrono>
#include <cstdint>

namespace cache_tier {

class Clock {
public:
    virtual ~Clock() = default;
    // For intervals and deadlines: never jumps.
    virtual std::chrono::steady_clock::time_point steady_now() const = 0;
    // Wall-clock time, for what is stored on disk or compared with file times.
    virtual std::chrono::system_clock::time_point system_now() const = 0;

    std::int64_t unix_seconds() const { return since_epoch<std::chrono::seconds>(); }
    std::int64_t unix_nanoseconds() const { return since_epoch<std::chrono::nanoseconds>(); }

private:
    template <typename Unit>
    std::int64_t since_epoch() const {
        return std::chrono::duration_cast<Unit>(system_now().time_since_epoch()).count();
    }
};

// The machine's clocks.
const Clock& system_clock();

}  // namespace cache_tier
