#include "server/event_backend.hpp"

#include <boost/asio/detail/config.hpp>

#if defined(BOOST_ASIO_HAS_IO_URING_AS_DEFAULT)
#include <liburing.h>

#include <cstring>
#include <string>
#endif

namespace cache_tier::server {

const char* event_backend_name() {
#if defined(BOOST_ASIO_HAS_IO_URING_AS_DEFAULT)
    return "io_uring";
#else
    return "epoll";
#endif
}

Status check_event_backend() {
#if defined(BOOST_ASIO_HAS_IO_URING_AS_DEFAULT)
    io_uring ring;
    if (int rc = ::io_uring_queue_init(8, &ring, 0); rc < 0)
        return Error{std::string("the kernel refuses io_uring (io_uring_setup: ") + std::strerror(-rc) +
                         "; see /proc/sys/kernel/io_uring_disabled) and this cache-tier is built with "
                         "CACHE_TIER_IO_URING=ON: build it without that option to use epoll",
                     -rc};
    ::io_uring_queue_exit(&ring);
#endif
    return {};
}

}  // namespace cache_tier::server
