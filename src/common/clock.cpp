#include "common/clock.hpp"

namespace cache_tier {

namespace {

class SystemClock final : public Clock {
public:
    std::chrono::steady_clock::time_point steady_now() const override { return std::chrono::steady_clock::now(); }
    std::chrono::system_clock::time_point system_now() const override { return std::chrono::system_clock::now(); }
};

}  // namespace

const Clock& system_clock() {
    static const SystemClock clock;
    return clock;
}

}  // namespace cache_tier
