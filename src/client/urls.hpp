#pragma once
// How the client spells things on the wire: base URLs, file names in paths.
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace cache_tier::client {

// "http://host[:port][/prefix][/]" -> the same without trailing '/'. Surrounding
// whitespace is ignored. Throws CacheError for anything that is not an absolute
// http(s) URL with a host, or that carries a query or fragment (the client
// appends a path to it).
std::string normalize_base_url(std::string_view base_url);

// The file name without surrounding whitespace. Throws CacheError when nothing
// is left: the original client's rule for a blank name.
std::string_view checked_name(std::string_view name);

// Percent-encode `name` for a URL path (RFC 3986 §2.1): every segment encoded
// on its own, '/' between segments kept, unreserved characters (§2.3) as is.
std::string encode_name(std::string_view name);

// "<base>/<route>/<encoded name>", `base` normalised, `route` without slashes.
std::string route_url(std::string_view base, std::string_view route, std::string_view name);

// A signed link's longest life: a longer-lived link is as good as an unsigned one.
inline constexpr std::chrono::seconds kMaxSigningTtl{10LL * 365 * 24 * 3600};

// Throws CacheError unless `prefix` is a path like the server's static_prefix:
// starting and ending with '/', printable ASCII without '?', '#' or '%'.
void check_static_prefix(std::string_view prefix);

// "<base><static_prefix><encoded name>?expires=<expires>&signature=..." (docs/signed-links.md).
std::string signed_file_url(std::string_view base, std::string_view static_prefix, std::string_view name,
                            std::string_view secret, std::int64_t expires);

// ASCII lower case: the cache tier stores files under lower-case names, so a
// file's status does not depend on the case a caller spells it in.
std::string lower_ascii(std::string_view text);

}  // namespace cache_tier::client
