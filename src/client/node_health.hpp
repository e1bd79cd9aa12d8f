#pragma once
// Servers that did not answer, remembered for a while so that every request
// does not wait a full timeout on a dead node. Shared by every Client of the
// process, like the status cache.
#include <chrono>
#include <cstddef>
#include <mutex>
#include <string>
#include <unordered_map>

namespace cache_tier::client {

class NodeHealth {
public:
    using Clock = std::chrono::steady_clock;

    // Remembers at most `capacity` down nodes (a process talks to a handful).
    explicit NodeHealth(std::size_t capacity = 1024) : capacity_(capacity > 0 ? capacity : 1) {}

    bool is_down(const std::string& node, Clock::time_point now = Clock::now()) const;
    // Not asked again until now + `period`; a period of zero remembers nothing.
    void mark_down(const std::string& node, std::chrono::milliseconds period, Clock::time_point now = Clock::now());
    void mark_up(const std::string& node);

private:
    std::size_t capacity_;
    mutable std::mutex mutex_;
    std::unordered_map<std::string, Clock::time_point> down_until_;
};

NodeHealth& shared_node_health();

}  // namespace cache_tier::client
