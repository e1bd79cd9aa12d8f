#include "server/readiness.hpp"

#include <sys/epoll.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

namespace cache_tier::server {

namespace {

int make_set() {
    const int fd = ::epoll_create1(EPOLL_CLOEXEC);
    if (fd < 0) throw std::runtime_error(std::string("epoll_create1: ") + std::strerror(errno));
    return fd;
}

}  // namespace

Readiness::Readiness(boost::asio::io_context& io) : set_(io, make_set()) {}

Status Readiness::add(int fd, ReadyListener* listener) {
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
    ev.data.ptr = listener;
    if (::epoll_ctl(set_.native_handle(), EPOLL_CTL_ADD, fd, &ev) != 0)
        return system_error("epoll_ctl");
    return {};
}

void Readiness::start() { wait(); }

void Readiness::stop() {
    boost::system::error_code ec;
    set_.cancel(ec);
}

void Readiness::wait() {
    set_.async_wait(boost::asio::posix::stream_descriptor::wait_read, [this](const boost::system::error_code& ec) {
        if (ec) return;  // stopped
        dispatch();
        wait();
    });
}

// Events are taken without blocking until none is left. A listener may close
// its own descriptor while handling its event, never another's, so the
// pointers of one batch stay valid for all of it.
void Readiness::dispatch() {
    constexpr int kBatch = 256;
    epoll_event events[kBatch];
    for (;;) {
        const int n = ::epoll_wait(set_.native_handle(), events, kBatch, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return;
        for (int i = 0; i < n; ++i) static_cast<ReadyListener*>(events[i].data.ptr)->on_ready(events[i].events);
        if (n < kBatch) return;
    }
}

}  // namespace cache_tier::server
