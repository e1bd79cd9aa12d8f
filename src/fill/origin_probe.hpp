#pragma once
// A light request that tells whether the origin answers at all, for /readyz
// when no fill has talked to it lately. Run on a fill worker, never on a
// serving thread. Private to src/fill.
#include <atomic>
#include <filesystem>
#include <string_view>

#include "origins/origin.hpp"

namespace cache_tier::fill {

// The key asked for: cache-tier's own name, which no site's file has.
inline constexpr std::string_view kProbeKey = ".cache-tier-probe";

// GET kProbeKey with a 1-byte size limit into a temporary file (removed
// after): any answer (a 404, a 403, a file refused as too large) shows the
// origin is reachable; a timeout or connection failure that it is not.
origins::FetchResult probe_origin(origins::Origin& origin, const std::filesystem::path& temp_dir,
                                  const std::atomic<bool>& cancelled);

}  // namespace cache_tier::fill
