#include "fill/fill_progress.hpp"

#include "http/http_date.hpp"

namespace cache_tier::fill {

void FillProgress::attach_file(UniqueFd read_fd) { read_fd_ = std::move(read_fd); }

Status FillProgress::on_head(const origins::FileHead& head) {
    // A second back from now: never later than any Date sent from here on
    // (the Date is formatted once a second), so the Last-Modified served while
    // it fills and after it is placed is one and the same.
    const std::int64_t latest = clock_.unix_seconds() - 1;
    const auto origin_time = http::parse_http_date(head.last_modified);
    mtime_ = origin_time && *origin_time <= latest ? *origin_time : latest;
    // Without a length a response could not promise one, and without a
    // readable file there is nothing to send: the fill goes on unpublished.
    if (head.length && read_fd_) {
        size_ = *head.length;
        published_.store(true, std::memory_order_release);
    }
    wake_head_waiters();
    return {};
}

void FillProgress::when_head(std::function<void()> wake) {
    {
        std::lock_guard lock(mutex_);
        if (!head_or_end_) {
            head_waiters_.push_back(std::move(wake));
            return;
        }
    }
    wake();
}

void FillProgress::wake_head_waiters() {
    std::vector<std::function<void()>> ready;
    {
        std::lock_guard lock(mutex_);
        head_or_end_ = true;
        ready.swap(head_waiters_);
    }
    for (auto& wake : ready) wake();
}

Status FillProgress::on_written(std::uint64_t total) {
    written_.store(total, std::memory_order_release);
    wake_due(total, false);
    return {};
}

void FillProgress::finish(bool complete) {
    if (!complete) failed_.store(true, std::memory_order_release);
    wake_head_waiters();
    wake_due(written_.load(std::memory_order_acquire), true);
}

bool FillProgress::due(const Waiter& waiter, std::uint64_t total) const {
    // Near the end, the rest of the file is enough.
    const std::uint64_t step_end = waiter.offset + kWakeStep;
    return total >= (size_ != 0 && step_end > size_ ? size_ : step_end);
}

void FillProgress::wait_beyond(std::uint64_t offset, std::function<void()> wake) {
    {
        std::lock_guard lock(mutex_);
        // Checked under the lock the writer wakes under: no wake-up is lost between the check and the wait.
        const std::uint64_t total = written_.load(std::memory_order_acquire);
        if (!failed() && total <= offset) {
            waiters_.push_back(Waiter{offset, std::move(wake)});
            return;
        }
    }
    wake();
}

void FillProgress::wake_due(std::uint64_t total, bool everyone) {
    std::vector<std::function<void()>> ready;
    {
        std::lock_guard lock(mutex_);
        if (waiters_.empty()) return;
        auto keep = waiters_.begin();
        for (auto& waiter : waiters_) {
            if (everyone || due(waiter, total))
                ready.push_back(std::move(waiter.wake));
            else
                *keep++ = std::move(waiter);
        }
        waiters_.erase(keep, waiters_.end());
    }
    // Outside the lock: a woken reader may ask to wait again at once.
    for (auto& wake : ready) wake();
}

}  // namespace cache_tier::fill
