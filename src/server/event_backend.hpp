#pragma once
// Which kernel interface the event loops wait with, fixed at build time:
// epoll (the default), or io_uring when built with -DCACHE_TIER_IO_URING=ON
// (Asio's io_uring backend: every wait and accept goes through one ring per
// loop). An io_uring build cannot fall back to epoll at run time (Asio picks
// its backend when compiled), so a server checks first that the kernel lets it
// set up a ring, and refuses to start with a clear error if not.
#include "common/result.hpp"

namespace cache_tier::server {

// "epoll" or "io_uring".
const char* event_backend_name();

// Success on an epoll build; on an io_uring build, whether the kernel allows
// io_uring_setup (it may be disabled by kernel.io_uring_disabled, a seccomp
// filter or a kernel built without it).
Status check_event_backend();

}  // namespace cache_tier::server
