#pragma once
// The names of the cached files in byte order, so that the admin API lists a
// page (`after` a name, under a prefix) and purges a prefix at a cost in
// proportion to the names it touches, never to the size of the cache. Kept in
// step by the fill engine (start-up scan, fills, evictions, purges); a name
// whose file went another way (deleted by hand) is dropped when next seen.
#include <cstddef>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace cache_tier::store {

class NameIndex {
public:
    void insert(std::string_view local);  // ignored for a name no request can reach (see reachable())
    bool erase(std::string_view local);  // false if it was not there
    bool contains(std::string_view local) const;
    std::size_t size() const;

    // Up to `limit` names that start with `prefix` and sort after `after`
    // (exclusive; "" for the first page), in byte order.
    std::vector<std::string> page(std::string_view prefix, std::string_view after, std::size_t limit) const;

    // Would a request's name normalise to exactly `local`?
    static bool reachable(std::string_view local);

private:
    mutable std::mutex mutex_;
    std::set<std::string, std::less<>> names_;
};

}  // namespace cache_tier::store

#include <filesystem>
#include <functional>
#include <sys/stat.h>

namespace cache_tier::store {

// `fn(local, st)` for every regular file beneath `cache_dir`, put there by a
// fill or by an operator: not cache-tier's own state folder, no symbolic link
// (lstat). Returns the error that stopped the walk early, if any.
std::error_code for_each_cached_file(const std::filesystem::path& cache_dir,
                                     const std::function<void(const std::string& local, const struct stat& st)>& fn);

}  // namespace cache_tier::store
