#include "client/log.hpp"

#include <cstdio>

namespace cache_tier::client {

void log_line(bool enabled, std::string_view message) {
    if (!enabled) return;
    // One call per line so lines from several threads do not interleave.
    std::fprintf(stderr, "cache-tier client: %.*s\n", static_cast<int>(message.size()), message.data());
}

}  // namespace cache_tier::client
