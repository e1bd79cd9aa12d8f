#pragma once
// What cache-tier knows about each cached file: the origin's validators, the
// size and when it was fetched. Kept as one small JSON record per file under
// kMetaDir so it survives a restart; the revalidation of a stale copy sends
// the validators back to the origin.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.hpp"

namespace cache_tier::store {

struct FileMeta {
    std::string etag;           // as the origin sent it, quotes included; "" if none
    std::string last_modified;  // as the origin sent it; "" if none
    std::uint64_t size = 0;     // bytes of the local copy when it was fetched
    std::int64_t fetched_at = 0;  // seconds since the epoch of the last fetch or 304
    // The origin key the copy was fetched with (the first asker's spelling).
    // Revalidation asks for exactly this key, whoever's request triggers it;
    // "" in records written before keys were kept.
    std::string origin_key;
    bool operator==(const FileMeta&) const = default;
};

class MetadataStore {
public:
    // Records live under cache_dir/kMetaDir; temporary files under cache_dir/kTempDir.
    explicit MetadataStore(std::filesystem::path cache_dir);

    // Create the record and temporary folders.
    Status prepare() const;

    // Every readable record, keyed by local name. Records that cannot be read
    // are skipped and described in `problems` (one line each) when given.
    std::vector<std::pair<std::string, FileMeta>> load_all(std::vector<std::string>* problems = nullptr) const;

    std::optional<FileMeta> load(std::string_view local_name) const;

    // Replace the record atomically (temporary file, fsync, rename, fsync of the
    // folder): after a crash the old or the new record is there, never half of one.
    Status save(std::string_view local_name, const FileMeta& meta) const;

    // Forget the record; no error if there is none.
    void remove(std::string_view local_name) const;

    // Where the record of `local_name` lives. Records are named by a 64-bit
    // hash of the name (names may be longer than a file name may be, and
    // contain '/'); the record holds the name itself, so a collision is caught
    // on load and only costs the older record.
    std::filesystem::path record_path(std::string_view local_name) const;

private:
    std::filesystem::path cache_dir_;
    std::filesystem::path meta_dir_;
    std::filesystem::path temp_dir_;
};

// Record text <-> FileMeta; parse returns false on anything malformed.
std::string format_record(std::string_view local_name, const FileMeta& meta);
bool parse_record(std::string_view text, std::string& local_name, FileMeta& meta);

}  // namespace cache_tier::store
