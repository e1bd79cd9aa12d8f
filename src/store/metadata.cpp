#include "store/metadata.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "store/file_io.hpp"
#include "store/layout.hpp"
#include "store/temp_file.hpp"

namespace cache_tier::store {

namespace fs = std::filesystem;

namespace {

// FNV-1a: stable across builds and platforms (std::hash is not), so record
// names written by one version are found by the next.
std::uint64_t fnv1a64(std::string_view text) {
    std::uint64_t h = 0xcbf29ce484222325ULL;
    for (unsigned char c : text) {
        h ^= c;
        h *= 0x100000001b3ULL;
    }
    return h;
}


}  // namespace

MetadataStore::MetadataStore(fs::path cache_dir)
    : cache_dir_(std::move(cache_dir)), meta_dir_(cache_dir_ / kMetaDir), temp_dir_(cache_dir_ / kTempDir) {}

Status MetadataStore::prepare() const {
    std::error_code ec;
    for (const auto& dir : {meta_dir_, temp_dir_}) {
        fs::create_directories(dir, ec);
        if (ec) return Error{"cannot create " + dir.string() + ": " + ec.message(), ec.value()};
    }
    return {};
}

fs::path MetadataStore::record_path(std::string_view local_name) const {
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(fnv1a64(local_name)));
    // Two hex digits of fan-out keep each folder small with millions of files.
    return meta_dir_ / std::string_view(hex, 2) / (std::string(hex) + ".json");
}

std::string format_record(std::string_view local_name, const FileMeta& meta) {
    nlohmann::json j = {
        {"name", local_name},          {"etag", meta.etag},
        {"last_modified", meta.last_modified}, {"size", meta.size},
        {"fetched_at", meta.fetched_at},       {"key", meta.origin_key},
    };
    // Validators come from the origin: never let a bad byte make dump() throw.
    return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

bool parse_record(std::string_view text, std::string& local_name, FileMeta& meta) {
    auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (!j.is_object()) return false;
    auto name = j.find("name");
    auto etag = j.find("etag");
    auto last_modified = j.find("last_modified");
    auto size = j.find("size");
    auto fetched_at = j.find("fetched_at");
    if (name == j.end() || !name->is_string() || etag == j.end() || !etag->is_string() ||
        last_modified == j.end() || !last_modified->is_string() || size == j.end() ||
        !size->is_number_unsigned() || fetched_at == j.end() || !fetched_at->is_number_integer())
        return false;
    local_name = name->get<std::string>();
    meta.etag = etag->get<std::string>();
    meta.last_modified = last_modified->get<std::string>();
    meta.size = size->get<std::uint64_t>();
    meta.fetched_at = fetched_at->get<std::int64_t>();
    // Optional: records written before keys were kept have none.
    auto key = j.find("key");
    if (key != j.end() && !key->is_string()) return false;
    meta.origin_key = key != j.end() ? key->get<std::string>() : std::string();
    return !local_name.empty();
}

std::optional<FileMeta> MetadataStore::load(std::string_view local_name) const {
    std::ifstream in(record_path(local_name), std::ios::binary);
    if (!in) return std::nullopt;
    std::ostringstream text;
    text << in.rdbuf();
    std::string stored_name;
    FileMeta meta;
    if (!parse_record(text.str(), stored_name, meta) || stored_name != local_name) return std::nullopt;
    return meta;
}

std::vector<std::pair<std::string, FileMeta>> MetadataStore::load_all(std::vector<std::string>* problems) const {
    std::vector<std::pair<std::string, FileMeta>> records;
    std::error_code ec;
    fs::recursive_directory_iterator it(meta_dir_, ec), end;
    if (ec) {
        if (problems && ec != std::errc::no_such_file_or_directory)
            problems->push_back("cannot read " + meta_dir_.string() + ": " + ec.message());
        return records;
    }
    for (; it != end; it.increment(ec)) {
        if (ec) {
            if (problems) problems->push_back("cannot read " + meta_dir_.string() + ": " + ec.message());
            break;
        }
        if (!it->is_regular_file(ec) || it->path().extension() != ".json") continue;
        std::ifstream in(it->path(), std::ios::binary);
        std::ostringstream text;
        text << in.rdbuf();
        std::string name;
        FileMeta meta;
        // The name must hash to the record's own file name, or the record is not where save() would put it.
        if (!in || !parse_record(text.str(), name, meta) || record_path(name) != it->path()) {
            if (problems) problems->push_back("ignoring unreadable metadata record " + it->path().string());
            continue;
        }
        records.emplace_back(std::move(name), std::move(meta));
    }
    return records;
}

Status MetadataStore::save(std::string_view local_name, const FileMeta& meta) const {
    const fs::path target = record_path(local_name);
    std::error_code ec;
    fs::create_directories(target.parent_path(), ec);
    if (ec) return Error{"cannot create " + target.parent_path().string() + ": " + ec.message(), ec.value()};
    auto temp = TempFile::create(temp_dir_, "meta", 0644);
    if (!temp) return temp.error();
    const std::string text = format_record(local_name, meta);
    if (Status written = write_all(temp->fd(), text.data(), text.size()); !written)
        return Error{"cannot write " + temp->path() + ": " + written.error().message, written.code()};
    if (Status synced = temp->sync_and_close(); !synced) return synced;
    return temp->place_at(target);
}

void MetadataStore::remove(std::string_view local_name) const {
    const fs::path target = record_path(local_name);
    if (::unlink(target.c_str()) == 0) sync_directory(target.parent_path());
}

}  // namespace cache_tier::store
