#pragma once
// A clock that moves only when a test says so: time-based behaviour (negative
// caching, backoff, revalidation, eviction order) is tested without sleeping.
#include <atomic>
#include <chrono>

#include "common/clock.hpp"

namespace ct_test {

class ManualClock final : public cache_tier::Clock {
public:
    // Starts at a fixed, realistic wall-clock time (2026-01-01T00:00:00Z).
    ManualClock() : offset_(std::chrono::nanoseconds(std::chrono::hours(1)).count()) {}
    std::chrono::steady_clock::time_point steady_now() const override {
        return std::chrono::steady_clock::time_point(std::chrono::nanoseconds(offset_.load()));
    }
    std::chrono::system_clock::time_point system_now() const override {
        return std::chrono::system_clock::time_point(std::chrono::seconds(kStart)) +
               std::chrono::duration_cast<std::chrono::system_clock::duration>(std::chrono::nanoseconds(offset_.load()));
    }
    // Both clocks move together, as real time does.
    void advance(std::chrono::nanoseconds by) { offset_ += by.count(); }

private:
    static constexpr std::int64_t kStart = 1767225600;
    std::atomic<std::int64_t> offset_;
};

}  // namespace ct_test
