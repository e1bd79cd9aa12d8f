#include "fill/origin_probe.hpp"

#include "store/temp_file.hpp"

namespace cache_tier::fill {

origins::FetchResult probe_origin(origins::Origin& origin, const std::filesystem::path& temp_dir,
                                  const std::atomic<bool>& cancelled) {
    auto file = store::TempFile::create(temp_dir, "probe", 0600);
    if (!file) {
        origins::FetchResult failed;
        failed.status = origins::FetchStatus::local_error;
        failed.message = file.error().message;
        return failed;
    }
    origins::FetchRequest req;
    req.key = std::string(kProbeKey);
    req.max_size = 1;  // a body is not wanted, only an answer
    req.cancelled = &cancelled;
    return origin.fetch(req, file->fd());  // the temporary file goes with `file`
}

}  // namespace cache_tier::fill
