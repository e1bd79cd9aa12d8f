#include "client/status_cache.hpp"

#include <algorithm>
#include <functional>

namespace cache_tier::client {

StatusCache::StatusCache(std::size_t capacity, std::size_t shard_count) {
    shard_count = std::max<std::size_t>(shard_count, 1);
    shard_capacity_ = std::max<std::size_t>(capacity / shard_count, 1);
    shards_.reserve(shard_count);
    for (std::size_t i = 0; i < shard_count; ++i) shards_.push_back(std::make_unique<Shard>());
}

StatusCache::Shard& StatusCache::shard_for(const std::string& key) const {
    return *shards_[std::hash<std::string>{}(key) % shards_.size()];
}

std::optional<StatusCache::Entry> StatusCache::find(const std::string& key) const {
    Shard& shard = shard_for(key);
    std::lock_guard lock(shard.mutex);
    auto it = shard.index.find(key);
    if (it == shard.index.end()) return std::nullopt;
    return it->second->second;
}

void StatusCache::store(const std::string& key, bool available, Clock::time_point now) {
    Shard& shard = shard_for(key);
    std::lock_guard lock(shard.mutex);
    const Entry entry{available, now};
    if (auto it = shard.index.find(key); it != shard.index.end()) {
        it->second->second = entry;
        // A fresh answer makes it the youngest entry.
        shard.by_age.splice(shard.by_age.end(), shard.by_age, it->second);
        return;
    }
    if (shard.index.size() >= shard_capacity_) {
        shard.index.erase(shard.by_age.front().first);
        shard.by_age.pop_front();
    }
    shard.by_age.emplace_back(key, entry);
    shard.index.emplace(key, std::prev(shard.by_age.end()));
}

std::size_t StatusCache::size() const {
    std::size_t total = 0;
    for (const auto& shard : shards_) {
        std::lock_guard lock(shard->mutex);
        total += shard->index.size();
    }
    return total;
}

StatusCache& shared_status_cache() {
    // Never destroyed: Clients may still be used by threads while the process exits.
    static StatusCache* cache = new StatusCache();
    return *cache;
}

}  // namespace cache_tier::client
