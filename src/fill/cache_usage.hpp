#pragma once
// The files and bytes of complete copies in the cache directory, counted by
// walking it (cache-tier's own state folder and symbolic links left out).
// Private to src/fill; FillEngine::report() keeps the last count for a while.
// (FillEngine::usage() counts more, and only under a size cap or floor.)
#include <cstdint>
#include <filesystem>
#include <functional>
#include <system_error>

struct stat;

namespace cache_tier::fill {

// `fn(path, st)` for every regular file beneath `cache_dir` but its state
// folder, links not followed. The error that ended the walk early, if any.
std::error_code for_each_copy(const std::filesystem::path& cache_dir,
                              const std::function<void(const std::filesystem::path&, const struct stat&)>& fn);

struct StoredCopies {
    std::uint64_t files = 0;
    std::uint64_t bytes = 0;
};

StoredCopies count_copies(const std::filesystem::path& cache_dir);

}  // namespace cache_tier::fill
