#include "store/name_index.hpp"

#include "store/name.hpp"

namespace cache_tier::store {

// A file an operator dropped in may have a name no request can spell (bytes
// that are not UTF-8, upper case, a '\\'): it is never served, so it is not
// listed either. Listing it would also break paging, whose `after` comes back
// through JSON and a URL and must be the very name in the index.
bool NameIndex::reachable(std::string_view local) {
    Name name;
    return normalize_name(encode_path(local), name) == NameError::none && name.local == local;
}

void NameIndex::insert(std::string_view local) {
    if (!reachable(local)) return;
    std::lock_guard lock(mutex_);
    names_.emplace(local);
}

bool NameIndex::erase(std::string_view local) {
    std::lock_guard lock(mutex_);
    auto it = names_.find(local);
    if (it == names_.end()) return false;
    names_.erase(it);
    return true;
}

bool NameIndex::contains(std::string_view local) const {
    std::lock_guard lock(mutex_);
    return names_.find(local) != names_.end();
}

std::size_t NameIndex::size() const {
    std::lock_guard lock(mutex_);
    return names_.size();
}

std::vector<std::string> NameIndex::page(std::string_view prefix, std::string_view after, std::size_t limit) const {
    std::vector<std::string> out;
    std::lock_guard lock(mutex_);
    // Names under a prefix are contiguous in byte order: start at the later of
    // the prefix and `after`, stop at the first name outside the prefix.
    auto it = after.empty() || after < prefix ? names_.lower_bound(prefix) : names_.upper_bound(after);
    for (; it != names_.end() && out.size() < limit && it->starts_with(prefix); ++it) out.push_back(*it);
    return out;
}

}  // namespace cache_tier::store

#include "store/layout.hpp"

namespace cache_tier::store {

namespace fs = std::filesystem;

std::error_code for_each_cached_file(const fs::path& cache_dir,
                                     const std::function<void(const std::string& local, const struct stat& st)>& fn) {
    std::error_code ec;
    fs::recursive_directory_iterator it(cache_dir, fs::directory_options::skip_permission_denied, ec), end;
    for (; !ec && it != end; it.increment(ec)) {
        if (it.depth() == 0 && it->path().filename() == kStateDir) {
            it.disable_recursion_pending();
            continue;
        }
        struct stat st {};
        if (::lstat(it->path().c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
        fn(it->path().lexically_relative(cache_dir).string(), st);
    }
    return ec;
}

}  // namespace cache_tier::store
