#include "fill/fill_queue.hpp"

#include <algorithm>

namespace cache_tier::fill {

FillQueue::FillQueue(std::size_t max_queued, unsigned workers) : max_queued_(std::max<std::size_t>(max_queued, 1)) {
    for (unsigned i = 0; i < std::max(1u, workers); ++i) slots_.push_back(std::make_unique<AbortSlot>());
}

FillQueue::~FillQueue() { stop(); }

void FillQueue::start(Runner runner) {
    runner_ = std::move(runner);
    for (auto& slot : slots_) threads_.emplace_back([this, &slot] { worker_loop(*slot); });
}

bool FillQueue::try_push(Job job) {
    std::lock_guard lock(mutex_);
    if (stopping_ || queue_.size() >= max_queued_) return false;
    queue_.push_back(std::move(job));
    work_ready_.notify_one();
    return true;
}

bool FillQueue::wait_idle(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    return idle_.wait_for(lock, timeout, [this] { return queue_.empty() && running_ == 0; });
}

std::pair<std::size_t, unsigned> FillQueue::load() const {
    std::lock_guard lock(mutex_);
    return {queue_.size(), running_};
}

bool FillQueue::stopping() const {
    std::lock_guard lock(mutex_);
    return stopping_;
}

// Queued fills are dropped; running transfers are cut short through their
// abort slot, and the workers joined.
void FillQueue::stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
        queue_.clear();
    }
    work_ready_.notify_all();
    for (auto& slot : slots_) slot->abort();
    for (auto& thread : threads_)
        if (thread.joinable()) thread.join();
    threads_.clear();
}

void FillQueue::worker_loop(AbortSlot& slot) {
    for (;;) {
        Job job;
        {
            std::unique_lock lock(mutex_);
            work_ready_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
            if (stopping_) return;
            job = std::move(queue_.front());
            queue_.pop_front();
            ++running_;
        }
        runner_(job, slot);
        std::lock_guard lock(mutex_);
        --running_;
        if (running_ == 0 && queue_.empty()) idle_.notify_all();
    }
}

}  // namespace cache_tier::fill
