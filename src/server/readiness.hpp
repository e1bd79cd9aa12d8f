#pragma once
// A worker's own edge-triggered epoll set for its connections, as nginx keeps
// one: each socket is added once, with read and write interest, and never
// modified again, so waiting costs no system call per request (Asio's own
// wait re-arms the socket with epoll_ctl every time). The set's descriptor is
// itself watched by the worker's Asio loop; each time it is ready, every
// pending event is taken at once and handed to its connection.
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <cstdint>

#include "common/result.hpp"

namespace cache_tier::server {

class ReadyListener {
public:
    // EPOLLIN, EPOLLOUT, EPOLLRDHUP, EPOLLHUP or EPOLLERR, as epoll reported them.
    virtual void on_ready(std::uint32_t events) = 0;

protected:
    ~ReadyListener() = default;
};

class Readiness {
public:
    explicit Readiness(boost::asio::io_context& io);
    Readiness(const Readiness&) = delete;
    Readiness& operator=(const Readiness&) = delete;

    // Watches `fd` until it is closed (closing removes it from the set). The
    // listener must outlive the descriptor.
    Status add(int fd, ReadyListener* listener);
    void start();  // begin taking events (on the worker's thread)
    void stop();   // stop watching, so the loop can end

private:
    void wait();
    void dispatch();

    boost::asio::posix::stream_descriptor set_;
};

}  // namespace cache_tier::server
