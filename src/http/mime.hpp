#pragma once
#include <string_view>

namespace cache_tier::http {

// Content-Type for a file name, from its extension, case-insensitive:
// audio/mpeg for .mp3, video/mp4, audio/mp4 (.m4a), image/*, text/*, ...;
// application/octet-stream when the extension is unknown.
std::string_view content_type_for(std::string_view file_name);

}  // namespace cache_tier::http
