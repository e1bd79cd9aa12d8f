#pragma once
// Conditional requests, RFC 9110 §13.
#include <cstdint>
#include <string>
#include <string_view>

#include "http/request.hpp"

namespace cache_tier::http {

enum class Precondition {
    proceed,              // send the normal response
    not_modified,         // 304 (GET/HEAD only)
    precondition_failed,  // 412
};

// The strong validator of a file, nginx's form: "\"<mtime hex>-<size hex>\"".
std::string strong_etag(std::int64_t mtime, std::uint64_t size);

// Evaluate If-Match, If-Unmodified-Since, If-None-Match and If-Modified-Since in
// the order of RFC 9110 §13.2.2 against the current representation.
// `etag` is the quoted strong entity tag, `mtime` seconds since the epoch.
Precondition evaluate_preconditions(const Request& req, std::string_view etag, std::int64_t mtime);

// §13.1.5 If-Range: true when the Range header may be honoured (the validator
// matches with a strong comparison, or the date equals Last-Modified exactly).
// An empty If-Range is a match.
bool if_range_matches(std::string_view if_range, std::string_view etag, std::int64_t mtime);

// Whether an If-None-Match / If-Match list (`*` or comma-separated entity tags)
// contains `etag`; weak comparison when `weak` is true (§8.8.3.2).
bool etag_list_matches(std::string_view list, std::string_view etag, bool weak);

}  // namespace cache_tier::http
