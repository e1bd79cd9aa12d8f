#pragma once
// Shared by the fill engine tests: an engine over a real origin (a file://
// directory or Debian's nginx) and a cache directory in a temporary folder.
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "fill/fill_engine.hpp"
#include "origins/origin.hpp"
#include "store/layout.hpp"
#include "store/name.hpp"
#include "support/process.hpp"

namespace fill_test {

namespace fs = std::filesystem;
using cache_tier::fill::FileState;
using cache_tier::fill::FileStatus;
using cache_tier::fill::FillEngine;
using cache_tier::fill::FillOptions;
using namespace std::chrono_literals;

inline cache_tier::store::Name name_of(const std::string& raw) {
    cache_tier::store::Name name;
    if (cache_tier::store::normalize_name(raw, name) != cache_tier::store::NameError::none)
        throw std::invalid_argument("bad test name " + raw);
    return name;
}

inline std::unique_ptr<cache_tier::origins::Origin> origin_for(const std::string& url) {
    cache_tier::origins::OriginOptions opts;
    opts.url = url;
    opts.connect_timeout = 2s;
    opts.low_speed_time = 5s;
    return cache_tier::origins::make_origin(opts);
}

inline FillOptions options_for(const fs::path& cache_dir) {
    FillOptions options;
    options.cache_dir = cache_dir;
    options.workers = 2;
    options.retry_min = 60s;
    options.retry_max = 600s;
    return options;
}

// nginx started as root serves as user nobody: the origin folder (a 0700
// mkdtemp folder) must be readable by everyone.
inline const fs::path& world_readable(const fs::path& dir) {
    fs::permissions(dir, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                             fs::perms::others_read | fs::perms::others_exec);
    return dir;
}

// Files in the cache directory's temporary folder (unfinished fills).
inline std::vector<fs::path> temp_files(const fs::path& cache_dir) {
    std::vector<fs::path> found;
    std::error_code ec;
    for (fs::directory_iterator it(cache_dir / cache_tier::store::kTempDir, ec), end; !ec && it != end;
         it.increment(ec))
        found.push_back(it->path());
    return found;
}

// Ask for `raw`, wait for the fill to finish, and ask again.
inline FileStatus ensure_and_wait(FillEngine& engine, const std::string& raw) {
    engine.ensure(name_of(raw));
    EXPECT_TRUE(engine.wait_idle(20s));
    return engine.ensure(name_of(raw));
}

}  // namespace fill_test
