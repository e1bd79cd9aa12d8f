#include "fill/cache_usage.hpp"

#include <sys/stat.h>

#include "store/layout.hpp"

namespace cache_tier::fill {

namespace fs = std::filesystem;

std::error_code for_each_copy(const fs::path& cache_dir, const std::function<void(const fs::path&, const struct stat&)>& fn) {
    std::error_code ec;
    fs::recursive_directory_iterator it(cache_dir, fs::directory_options::skip_permission_denied, ec), end;
    for (; !ec && it != end; it.increment(ec)) {
        if (it.depth() == 0 && it->path().filename() == store::kStateDir) {
            it.disable_recursion_pending();
            continue;
        }
        struct stat st {};
        if (::lstat(it->path().c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
        fn(it->path(), st);
    }
    return ec;
}

StoredCopies count_copies(const fs::path& cache_dir) {
    StoredCopies usage;
    for_each_copy(cache_dir, [&](const fs::path&, const struct stat& st) {
        ++usage.files;
        usage.bytes += static_cast<std::uint64_t>(st.st_size);
    });
    return usage;
}

}  // namespace cache_tier::fill
