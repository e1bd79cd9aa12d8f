#pragma once
// The fill queue and its workers: a bounded queue of fills waiting for one of
// a fixed number of worker threads, never the threads that serve requests.
// It knows nothing of files; the engine gives it the work to run. Private to src/fill.
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "fill/transfer.hpp"
#include "store/name.hpp"

namespace cache_tier::fill {

struct Job {
    store::Name name;
    bool revalidate = false;  // a conditional GET for a cached copy, not a first fetch
    bool probe = false;       // no file: ask the origin whether it answers (FillEngine::probe_origin)
    std::uint64_t generation = 0;  // the entry's when queued; a purge since makes the job void
};

class FillQueue {
public:
    // Runs on a worker; `abort` lets stop() cut the job's transfer short.
    using Runner = std::function<void(const Job& job, AbortSlot& abort)>;

    FillQueue(std::size_t max_queued, unsigned workers);
    ~FillQueue();  // stop()
    FillQueue(const FillQueue&) = delete;
    FillQueue& operator=(const FillQueue&) = delete;

    void start(Runner runner);
    // Queue `job`; false when max_queued jobs already wait or the queue is stopping.
    bool try_push(Job job);
    // Until nothing is queued or running, or `timeout` passes; true if idle.
    bool wait_idle(std::chrono::milliseconds timeout);
    // Drop queued jobs, abort running transfers, join the workers. Idempotent.
    void stop();
    bool stopping() const;

    std::size_t max_queued() const { return max_queued_; }
    // Jobs waiting, and jobs a worker runs, now.
    std::pair<std::size_t, unsigned> load() const;
    unsigned workers() const { return static_cast<unsigned>(slots_.size()); }

private:
    void worker_loop(AbortSlot& slot);

    const std::size_t max_queued_;
    Runner runner_;
    mutable std::mutex mutex_;
    std::condition_variable work_ready_;
    std::condition_variable idle_;
    std::deque<Job> queue_;
    unsigned running_ = 0;
    bool stopping_ = false;
    std::vector<std::unique_ptr<AbortSlot>> slots_;
    std::vector<std::thread> threads_;
};

}  // namespace cache_tier::fill
