#pragma once
// The JSON answer shared by /verify and /download (for a bad name): the shape
// clients of the original server parse,
// {"available": bool, "file": str, "error": bool, "error_msg": null|str, ...}.
#include <string>
#include <string_view>

#include "http/response.hpp"
#include "store/name.hpp"

namespace cache_tier::routes {

// Append `text` as a JSON string literal (quotes included). Bytes that are not
// valid UTF-8 become U+FFFD, so any name a client sends gives valid JSON.
void append_json_string(std::string& out, std::string_view text);

// Fill `out` with the JSON answer; `error_msg` empty => "error": false and
// "error_msg": null; `state` empty => no "state" key. No-store: the answer
// changes as soon as a fill finishes.
void write_verify_json(http::Response& out, int status, std::string_view file, bool available,
                       std::string_view error_msg, std::string_view state);

// 400 for a name that can never be valid; "file" is the name decoded as far as it decodes.
void reject_name(std::string_view raw_name, store::NameError error, http::Response& out);

}  // namespace cache_tier::routes
