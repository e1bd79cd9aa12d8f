#include "client/node_health.hpp"

#include <algorithm>
#include <iterator>

namespace cache_tier::client {

bool NodeHealth::is_down(const std::string& node, Clock::time_point now) const {
    std::lock_guard lock(mutex_);
    auto it = down_until_.find(node);
    return it != down_until_.end() && now < it->second;
}

void NodeHealth::mark_down(const std::string& node, std::chrono::milliseconds period, Clock::time_point now) {
    if (period <= std::chrono::milliseconds::zero()) return;
    std::lock_guard lock(mutex_);
    if (down_until_.size() >= capacity_ && !down_until_.contains(node)) {
        std::erase_if(down_until_, [&](const auto& item) { return item.second <= now; });
        // Still full of live entries: forget the one that recovers soonest.
        if (down_until_.size() >= capacity_) {
            auto soonest = std::min_element(down_until_.begin(), down_until_.end(),
                                            [](const auto& a, const auto& b) { return a.second < b.second; });
            down_until_.erase(soonest);
        }
    }
    down_until_[node] = now + period;
}

void NodeHealth::mark_up(const std::string& node) {
    std::lock_guard lock(mutex_);
    down_until_.erase(node);
}

NodeHealth& shared_node_health() {
    static NodeHealth* health = new NodeHealth();
    return *health;
}

}  // namespace cache_tier::client
