#pragma once
// What an origin's response head says, and whether its body is the file.
//
// Only a complete, unencoded representation of the whole file may be cached.
// whole_file_length() decides that from the head alone, before any of the
// body is kept: a pure function, so each rule is tested without a network.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace cache_tier::origins::detail {

// The fields of one response head that the origins use. The fields that say
// what the body is keep one entry per header line, as they came: a repeat is
// how conflicting framing shows.
struct ResponseHead {
    long status = 0;     // 0: no valid status line
    std::string reason;  // "" over HTTP/2, which has none
    std::string etag;
    std::string last_modified;
    std::vector<std::string> content_length;
    std::vector<std::string> content_encoding;
    std::vector<std::string> transfer_encoding;
    std::vector<std::string> content_range;
    std::vector<std::string> cache_control;
    std::string content_type;  // the last line's, as a recipient reads a repeated singleton

    bool success() const { return status >= 200 && status < 300; }
};

// A head begun by a status line ("HTTP/1.1 503 Service Unavailable\r\n").
ResponseHead parse_status_line(std::string_view line);

// Records a field line ("Content-Length: 10\r\n") that matters to the origins.
void add_field(ResponseHead& head, std::string_view line);

// "503 Service Unavailable", or "503" without a reason phrase.
std::string status_text(const ResponseHead& head);

// For a 2xx head: the length Content-Length announces for the whole file
// (nullopt: none; the chunking or the closed connection ends the body), or
// an Error whose message says in one line why the body is not the whole,
// unencoded file.
Result<std::optional<std::uint64_t>> whole_file_length(const ResponseHead& head);

// Whether a shared cache may keep the response at all (RFC 9111 §3): not when
// the origin says Cache-Control: no-store or private. The Error says which.
Status may_store(const ResponseHead& head);

// Whether a 200 for `key` can be the file at all: not an HTML page (text/html)
// for a name whose extension maps to another type (.mp3, .mp4, .zip: see
// http::content_type_for). A misconfigured proxy or CDN answers its error
// pages so. Narrow on purpose: a name ending .html, or one whose extension is
// unknown or absent, may be HTML; no other type mismatch is judged.
Status may_be_the_named_file(const ResponseHead& head, std::string_view key);

}  // namespace cache_tier::origins::detail
