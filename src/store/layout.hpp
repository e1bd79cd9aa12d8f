#pragma once
// Where cache-tier keeps its own files inside the cache directory. Nothing
// under kStateDir is ever served; normalize_name() refuses names inside it.
#include <string_view>

namespace cache_tier::store {

inline constexpr std::string_view kStateDir = ".cache-tier";          // relative to the cache directory
inline constexpr std::string_view kTempDir = ".cache-tier/tmp";       // unfinished fills
inline constexpr std::string_view kMetaDir = ".cache-tier/meta";      // what is known about each cached file

}  // namespace cache_tier::store
