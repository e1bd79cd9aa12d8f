#pragma once
// A few objects kept for reuse by one thread (read buffers, exchanges, TLS
// record buffers), so the request path does not go to the allocator for
// each request. Beyond the few that one turn of the loop needs at once, what
// is given back is freed.
#include <cstddef>
#include <memory>
#include <vector>

namespace cache_tier::server {

template <typename T>
class Spares {
public:
    // A kept one if there is, else `make()`.
    template <typename Make>
    std::unique_ptr<T> take(Make make) {
        if (spares_.empty()) return make();
        auto spare = std::move(spares_.back());
        spares_.pop_back();
        return spare;
    }
    void give(std::unique_ptr<T> spare) {
        if (spares_.size() < kKept) spares_.push_back(std::move(spare));
    }

private:
    static constexpr std::size_t kKept = 64;
    std::vector<std::unique_ptr<T>> spares_;
};

}  // namespace cache_tier::server
