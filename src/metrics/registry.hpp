#pragma once
// Counters that cost a request next to nothing. Every thread that records has
// its own block of slots (one cache line holds 8 of them) and is the only
// writer of its block, so recording is a relaxed load and store on memory no
// other thread writes: no lock, no atomic read-modify-write, no cache line
// bouncing between cores. A scrape sums a slot over all blocks. A block
// outlives its thread (its counts stay in the sums) and is handed to the next
// thread that starts recording.
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace cache_tier::metrics {

// Slots a block holds: every counter of the process together (catalog.hpp).
inline constexpr std::size_t kMaxSlots = 4608;

namespace detail {

struct alignas(64) Block {
    std::atomic<std::uint64_t> slots[kMaxSlots];
};

// This thread's block; null until it first records. Constant-initialised, so
// reading it costs no guard.
inline thread_local Block* tls_block = nullptr;

void add_slow(std::uint32_t slot, std::uint64_t n);

inline void add(std::uint32_t slot, std::uint64_t n) {
    if (Block* b = tls_block) [[likely]] {
        std::atomic<std::uint64_t>& a = b->slots[slot];
        // The only writer of this block: no read-modify-write needed.
        a.store(a.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
        return;
    }
    add_slow(slot, n);
}

// Reserve `n` consecutive slots; throws std::length_error past kMaxSlots.
std::uint32_t allocate(std::size_t n);
// The sum of a slot over every block.
std::uint64_t sum(std::uint32_t slot);
// The sums of `n` consecutive slots, in one pass.
std::vector<std::uint64_t> sum_range(std::uint32_t first, std::size_t n);

}  // namespace detail

// A monotonic count (Prometheus "counter").
class Counter {
public:
    Counter() : slot_(detail::allocate(1)) {}
    void add(std::uint64_t n = 1) { detail::add(slot_, n); }
    std::uint64_t value() const { return detail::sum(slot_); }

private:
    std::uint32_t slot_;
};

// `size` counters under one name, told apart by an index (a label's value).
class CounterArray {
public:
    explicit CounterArray(std::size_t size) : first_(detail::allocate(size)), size_(size) {}
    void add(std::size_t index, std::uint64_t n = 1) { detail::add(first_ + static_cast<std::uint32_t>(index), n); }
    std::uint64_t value(std::size_t index) const { return detail::sum(first_ + static_cast<std::uint32_t>(index)); }
    std::size_t size() const { return size_; }
    std::vector<std::uint64_t> values() const { return detail::sum_range(first_, size_); }

private:
    std::uint32_t first_;
    std::size_t size_;
};

// A histogram of durations with fixed upper bounds, in seconds. Each
// observation adds to one bucket and to the sum (kept in microseconds).
class Histogram {
public:
    explicit Histogram(std::vector<double> bounds);
    void observe(double seconds);

    struct Snapshot {
        std::vector<std::uint64_t> cumulative;  // per bound, then +Inf (= count)
        double sum = 0;                         // seconds
        std::uint64_t count() const { return cumulative.empty() ? 0 : cumulative.back(); }
    };
    Snapshot snapshot() const;
    std::span<const double> bounds() const { return bounds_; }

private:
    std::vector<double> bounds_;
    std::uint32_t buckets_;  // bounds_.size() + 1 slots, then one for the sum
};

}  // namespace cache_tier::metrics
