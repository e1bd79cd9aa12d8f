#pragma once
// Readiness of a node, for a load balancer: the cache directory takes writes
// and the origin is not known to be unreachable. Shared by all server threads.
#include <chrono>
#include <filesystem>
#include <mutex>
#include <string>

#include "fill/fill_engine.hpp"
#include "store/layout.hpp"

namespace cache_tier::routes {

class Readiness {
public:
    Readiness(std::filesystem::path cache_dir, std::chrono::seconds origin_window)
        : temp_dir_(std::move(cache_dir) / store::kTempDir), origin_window_(origin_window) {}

    struct Answer {
        bool ready = true;
        std::string reason;  // why not, one line
    };
    // The disk test (a file created, written and dropped in .cache-tier/tmp)
    // runs at most every kDiskCheckEvery; in between its last answer stands.
    Answer check(fill::FillEngine* fills);

    static constexpr std::chrono::seconds kDiskCheckEvery{5};

private:
    std::string disk_problem();  // "" when writable

    const std::filesystem::path temp_dir_;
    const std::chrono::seconds origin_window_;
    std::mutex mutex_;
    std::chrono::steady_clock::time_point checked_at_{};
    bool checked_ = false;
    std::string disk_problem_;
};

}  // namespace cache_tier::routes
