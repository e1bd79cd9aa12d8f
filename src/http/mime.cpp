#include "http/mime.hpp"

#include <algorithm>
#include <array>

namespace cache_tier::http {
namespace {

constexpr std::string_view kDefault = "application/octet-stream";

struct MimeEntry {
    std::string_view extension;  // lower-case, without the dot
    std::string_view type;
};

// Sorted by extension (checked at compile time) for a binary search.
constexpr MimeEntry kTable[] = {
    {"3gp", "video/3gpp"},
    {"7z", "application/x-7z-compressed"},
    {"aac", "audio/aac"},
    {"apk", "application/vnd.android.package-archive"},
    {"atom", "application/atom+xml"},
    {"avi", "video/x-msvideo"},
    {"avif", "image/avif"},
    {"bmp", "image/bmp"},
    {"bz2", "application/x-bzip2"},
    {"css", "text/css"},
    {"csv", "text/csv; charset=utf-8"},
    {"deb", "application/vnd.debian.binary-package"},
    {"dmg", "application/x-apple-diskimage"},
    {"doc", "application/msword"},
    {"docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
    {"epub", "application/epub+zip"},
    {"exe", "application/vnd.microsoft.portable-executable"},
    {"flac", "audio/flac"},
    {"flv", "video/x-flv"},
    {"gif", "image/gif"},
    {"gz", "application/gzip"},
    {"heic", "image/heic"},
    {"htm", "text/html; charset=utf-8"},
    {"html", "text/html; charset=utf-8"},
    {"ico", "image/x-icon"},
    {"iso", "application/x-iso9660-image"},
    {"jpeg", "image/jpeg"},
    {"jpg", "image/jpeg"},
    {"js", "text/javascript"},
    {"json", "application/json"},
    {"m3u", "audio/x-mpegurl"},
    {"m3u8", "application/vnd.apple.mpegurl"},
    {"m4a", "audio/mp4"},
    {"m4b", "audio/mp4"},
    {"m4v", "video/mp4"},
    {"md", "text/markdown; charset=utf-8"},
    {"mid", "audio/midi"},
    {"midi", "audio/midi"},
    {"mjs", "text/javascript"},
    {"mkv", "video/x-matroska"},
    {"mov", "video/quicktime"},
    {"mp3", "audio/mpeg"},
    {"mp4", "video/mp4"},
    {"mpd", "application/dash+xml"},
    {"mpeg", "video/mpeg"},
    {"mpg", "video/mpeg"},
    {"oga", "audio/ogg"},
    {"ogg", "audio/ogg"},
    {"ogv", "video/ogg"},
    {"opus", "audio/opus"},
    {"otf", "font/otf"},
    {"pdf", "application/pdf"},
    {"png", "image/png"},
    {"rar", "application/vnd.rar"},
    {"rss", "application/rss+xml"},
    {"rtf", "application/rtf"},
    {"srt", "application/x-subrip"},
    {"svg", "image/svg+xml"},
    {"tar", "application/x-tar"},
    {"tif", "image/tiff"},
    {"tiff", "image/tiff"},
    {"ts", "video/mp2t"},
    {"ttf", "font/ttf"},
    {"txt", "text/plain; charset=utf-8"},
    {"vtt", "text/vtt; charset=utf-8"},
    {"wasm", "application/wasm"},
    {"wav", "audio/wav"},
    {"weba", "audio/webm"},
    {"webm", "video/webm"},
    {"webp", "image/webp"},
    {"woff", "font/woff"},
    {"woff2", "font/woff2"},
    {"xml", "application/xml"},
    {"xz", "application/x-xz"},
    {"zip", "application/zip"},
    {"zst", "application/zstd"},
};

constexpr bool by_extension(const MimeEntry& a, const MimeEntry& b) { return a.extension < b.extension; }
static_assert(std::is_sorted(std::begin(kTable), std::end(kTable), by_extension),
              "kTable must stay sorted by extension");
static_assert(std::adjacent_find(std::begin(kTable), std::end(kTable),
                                 [](const MimeEntry& a, const MimeEntry& b) { return a.extension == b.extension; }) ==
                  std::end(kTable),
              "kTable must not list an extension twice");

constexpr std::size_t longest_extension() {
    std::size_t longest = 0;
    for (const auto& entry : kTable) longest = std::max(longest, entry.extension.size());
    return longest;
}

}  // namespace

std::string_view content_type_for(std::string_view file_name) {
    // Only the last path segment's extension counts ("a.mp3/b" has none).
    const auto slash = file_name.rfind('/');
    if (slash != std::string_view::npos) file_name.remove_prefix(slash + 1);
    const auto dot = file_name.rfind('.');
    if (dot == std::string_view::npos) return kDefault;
    const std::string_view extension = file_name.substr(dot + 1);
    if (extension.empty() || extension.size() > longest_extension()) return kDefault;

    // Lower-case into a small buffer: no allocation per request.
    std::array<char, longest_extension()> lowered{};
    for (std::size_t i = 0; i < extension.size(); ++i) {
        const char c = extension[i];
        lowered[i] = c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c;
    }
    const MimeEntry key{std::string_view(lowered.data(), extension.size()), {}};
    const auto* it = std::lower_bound(std::begin(kTable), std::end(kTable), key, by_extension);
    return it != std::end(kTable) && it->extension == key.extension ? it->type : kDefault;
}

}  // namespace cache_tier::http
