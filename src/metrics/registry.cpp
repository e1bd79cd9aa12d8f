#include "metrics/registry.hpp"

#include <algorithm>
#include <cmath>
#include <memory>
#include <mutex>
#include <stdexcept>

namespace cache_tier::metrics::detail {

namespace {

// Every block ever made, and those whose thread has ended (reused first).
// Leaked on purpose: threads may record while static objects are destroyed.
struct Blocks {
    std::mutex mutex;
    std::vector<Block*> all;
    std::vector<Block*> free;
    std::atomic<std::uint32_t> next_slot{0};
};

Blocks& blocks() {
    static Blocks* b = new Blocks;
    return *b;
}

// Counts recorded by a thread whose thread-local storage is already being
// destroyed: shared by all such threads, so updated with read-modify-write.
Block& orphan_block() {
    static Block* b = [] {
        Block* block = new Block{};
        std::lock_guard lock(blocks().mutex);
        blocks().all.push_back(block);
        return block;
    }();
    return *b;
}

// Gives the thread's block back when the thread ends.
struct Lease {
    Block* block = nullptr;
    bool ended = false;
    ~Lease() {
        ended = true;
        tls_block = nullptr;
        if (!block) return;
        std::lock_guard lock(blocks().mutex);
        blocks().free.push_back(block);
    }
};

thread_local Lease lease;

Block* acquire() {
    Blocks& b = blocks();
    std::lock_guard lock(b.mutex);
    if (!b.free.empty()) {
        Block* block = b.free.back();
        b.free.pop_back();
        return block;
    }
    b.all.push_back(new Block{});
    return b.all.back();
}

}  // namespace

void add_slow(std::uint32_t slot, std::uint64_t n) {
    if (lease.ended) {
        orphan_block().slots[slot].fetch_add(n, std::memory_order_relaxed);
        return;
    }
    // The mutex orders this thread's writes after the previous owner's.
    lease.block = acquire();
    tls_block = lease.block;
    add(slot, n);
}

std::uint32_t allocate(std::size_t n) {
    const std::uint32_t first = blocks().next_slot.fetch_add(static_cast<std::uint32_t>(n));
    if (first + n > kMaxSlots) throw std::length_error("metrics: more counters than kMaxSlots");
    return first;
}

std::uint64_t sum(std::uint32_t slot) {
    Blocks& b = blocks();
    std::lock_guard lock(b.mutex);
    std::uint64_t total = 0;
    for (const Block* block : b.all) total += block->slots[slot].load(std::memory_order_relaxed);
    return total;
}

std::vector<std::uint64_t> sum_range(std::uint32_t first, std::size_t n) {
    std::vector<std::uint64_t> totals(n, 0);
    Blocks& b = blocks();
    std::lock_guard lock(b.mutex);
    for (const Block* block : b.all)
        for (std::size_t i = 0; i < n; ++i) totals[i] += block->slots[first + i].load(std::memory_order_relaxed);
    return totals;
}

}  // namespace cache_tier::metrics::detail

namespace cache_tier::metrics {

Histogram::Histogram(std::vector<double> bounds) : bounds_(std::move(bounds)) {
    if (!std::is_sorted(bounds_.begin(), bounds_.end())) throw std::invalid_argument("histogram bounds must be sorted");
    buckets_ = detail::allocate(bounds_.size() + 2);
}

void Histogram::observe(double seconds) {
    // Prometheus buckets are upper bounds, inclusive ("le").
    const auto at = std::lower_bound(bounds_.begin(), bounds_.end(), seconds) - bounds_.begin();
    detail::add(buckets_ + static_cast<std::uint32_t>(at), 1);
    const double micros = std::max(0.0, seconds) * 1e6;
    detail::add(buckets_ + static_cast<std::uint32_t>(bounds_.size() + 1), static_cast<std::uint64_t>(std::llround(micros)));
}

Histogram::Snapshot Histogram::snapshot() const {
    const std::vector<std::uint64_t> slots = detail::sum_range(buckets_, bounds_.size() + 2);
    Snapshot s;
    std::uint64_t running = 0;
    for (std::size_t i = 0; i <= bounds_.size(); ++i) {
        running += slots[i];
        s.cumulative.push_back(running);
    }
    s.sum = static_cast<double>(slots.back()) / 1e6;
    return s;
}

}  // namespace cache_tier::metrics
