# -DCACHE_TIER_IO_URING=ON: the event loops wait through io_uring (Asio's
# io_uring backend, liburing) instead of epoll. Off by default: measured
# against epoll in docs/benchmarks.md ("Event loop: epoll or io_uring").
option(CACHE_TIER_IO_URING "Event loops on io_uring instead of epoll (needs liburing-dev, Linux >= 5.10)" OFF)

if(CACHE_TIER_IO_URING)
  find_package(PkgConfig REQUIRED)
  pkg_check_modules(liburing REQUIRED IMPORTED_TARGET liburing)
endif()

# Asio picks its backend at compile time and the choice changes the layout of
# its types, so every file that includes Asio must see the same definitions:
# they go with ct_server (the only library that includes Asio) to every target
# linking it. BOOST_ASIO_HAS_IO_URING adds the backend; without epoll it
# becomes the default for sockets, timers and signals.
function(cache_tier_event_backend target)
  if(CACHE_TIER_IO_URING)
    target_compile_definitions(${target} PUBLIC BOOST_ASIO_HAS_IO_URING=1 BOOST_ASIO_DISABLE_EPOLL=1)
    target_link_libraries(${target} PUBLIC PkgConfig::liburing)
  endif()
endfunction()
