#pragma once
// One fill as the routes see it while it runs: once the origin's head says
// the body is the whole file and how long it is, the file being written can
// be served from the one fetch (http::GrowingBody); the writer wakes the
// readers as it advances. Private to src/fill, shared through FillEngine.
#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.hpp"
#include "common/unique_fd.hpp"
#include "http/growing_body.hpp"
#include "origins/origin.hpp"

namespace cache_tier::fill {

class FillProgress final : public http::GrowingBody, public origins::FetchObserver {
public:
    explicit FillProgress(const Clock& clock) : clock_(clock) {}

    // A reader is woken when at least this much more than it has is written
    // (or the file ends): enough for one worthwhile sendfile.
    static constexpr std::uint64_t kWakeStep = 64 * 1024;

    // The temporary file being written; `read_fd` reads it (a dup of the writer's).
    void attach_file(UniqueFd read_fd);

    // origins::FetchObserver, on the fill worker.
    Status on_head(const origins::FileHead& head) override;
    Status on_written(std::uint64_t total) override;
    // The fill is over: the file is whole and in place, or it never will be.
    void finish(bool complete);

    // Servable while it fills: the head announced a length and nothing failed.
    bool published() const { return published_.load(std::memory_order_acquire); }
    std::uint64_t size() const { return size_; }            // valid once published
    // The copy's modification time, chosen when the head arrives: the origin's
    // Last-Modified, else that moment (never later than a second before it). The placed copy
    // gets it, so its validators are the ones served while it filled, the same
    // on every node and after a refill of the same bytes. 0 before the head.
    std::int64_t mtime() const { return mtime_; }
    int fd() const { return read_fd_.get(); }

    // Call `wake` once, from any thread, when the origin's head has arrived
    // (published or not) or the fill ended; at once if either already happened.
    void when_head(std::function<void()> wake);

    // http::GrowingBody, on serving threads.
    std::uint64_t available() const override { return written_.load(std::memory_order_acquire); }
    bool failed() const override { return failed_.load(std::memory_order_acquire); }
    void wait_beyond(std::uint64_t offset, std::function<void()> wake) override;

private:
    struct Waiter {
        std::uint64_t offset;
        std::function<void()> wake;
    };
    bool due(const Waiter& waiter, std::uint64_t total) const;
    void wake_due(std::uint64_t total, bool everyone);
    void wake_head_waiters();

    const Clock& clock_;
    UniqueFd read_fd_;
    std::int64_t mtime_ = 0;
    std::uint64_t size_ = 0;
    std::atomic<bool> published_{false};
    std::atomic<bool> failed_{false};
    std::atomic<std::uint64_t> written_{0};
    std::mutex mutex_;
    bool head_or_end_ = false;  // under mutex_
    std::vector<Waiter> waiters_;
    std::vector<std::function<void()>> head_waiters_;
};

}  // namespace cache_tier::fill
