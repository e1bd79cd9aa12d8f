#pragma once
// What servers last said about files, shared by every Client of the process
// (a web site typically makes a new Client per page request). Bounded: when
// full, the entry fetched longest ago goes first, which is also the most
// stale one. Sharded so threads asking about different files rarely meet on
// one mutex.
#include <chrono>
#include <cstddef>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace cache_tier::client {

class StatusCache {
public:
    using Clock = std::chrono::steady_clock;

    struct Entry {
        bool available = false;
        Clock::time_point fetched_at;
    };

    static constexpr std::size_t default_capacity = 10'000;

    // Holds at most `capacity` entries (at least one per shard).
    explicit StatusCache(std::size_t capacity = default_capacity, std::size_t shard_count = 16);

    std::optional<Entry> find(const std::string& key) const;
    void store(const std::string& key, bool available, Clock::time_point now = Clock::now());
    std::size_t size() const;
    std::size_t capacity() const { return shard_capacity_ * shards_.size(); }

private:
    struct Shard {
        mutable std::mutex mutex;
        // Oldest fetch first; `index` points into it.
        std::list<std::pair<std::string, Entry>> by_age;
        std::unordered_map<std::string, std::list<std::pair<std::string, Entry>>::iterator> index;
    };

    Shard& shard_for(const std::string& key) const;

    std::size_t shard_capacity_;
    std::vector<std::unique_ptr<Shard>> shards_;
};

// The one cache every Client of the process uses.
StatusCache& shared_status_cache();

}  // namespace cache_tier::client
