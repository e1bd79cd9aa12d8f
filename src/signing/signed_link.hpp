#pragma once
// Signed links to the static prefix: an expiry and an HMAC-SHA256 over the
// file's path and that expiry, carried in the query string. The one
// implementation of the scheme, shared by the server (which checks links) and
// the client library and command line (which make them); the scheme is
// specified for other languages in docs/signed-links.md.
//
//   <static_prefix><encoded name>?expires=<unix seconds>&signature=<sig>
//   sig = base64url, no padding (RFC 4648 §5), of
//         HMAC-SHA256(secret, <static_prefix><name lower-cased> "\n" <expires>)
//
// The signed path is the decoded file name, ASCII-lower-cased, after the
// static prefix: the identity of the file in the cache directory. So a link
// verifies whatever percent-encoding or letter case reaches the server (the
// same file, nothing more), and never for another file.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.hpp"

namespace cache_tier::signing {

// Shorter secrets are refused everywhere (server, clients, command line): a
// short key is one an attacker can guess offline from a single link.
inline constexpr std::size_t kMinSecretBytes = 16;
// A secret file larger than this is not a secret file (a wrong path).
inline constexpr std::size_t kMaxSecretBytes = 4096;
// base64url of the 32 bytes of an HMAC-SHA256, without padding.
inline constexpr std::size_t kSignatureChars = 43;

// What a link to `decoded_name` under `static_prefix` signs:
// static_prefix + decoded_name with ASCII A-Z lowered (other bytes as they are).
std::string signed_path(std::string_view static_prefix, std::string_view decoded_name);

// The signature of `path` (from signed_path) valid until `expires` (Unix seconds).
std::string signature(std::string_view secret, std::string_view path, std::int64_t expires);

// The query string of a signed link, without the '?': "expires=<n>&signature=<sig>".
std::string link_query(std::string_view secret, std::string_view path, std::int64_t expires);

enum class LinkError {
    none,
    unsigned_link,        // neither expires nor signature: the link is not signed
    missing_expires,      // a signature without expires
    missing_signature,    // an expires without signature
    duplicate_parameter,  // expires or signature given twice
    bad_expires,          // not a decimal Unix time (digits, no sign, no leading zero, at most 18 digits)
    bad_signature,        // not 43 base64url characters
    wrong_signature,      // well formed, but not the signature of this path and expiry
    expired,              // genuine, but its expiry has passed
};

// A short reason for the 403's body; never the secret nor the expected signature.
std::string_view describe(LinkError error);

// Whether `query` (the request target after '?', "" when there is none) signs
// `path` (from signed_path) and is unexpired at `now` (Unix seconds): valid
// while now <= expires. A pure function (no clock, no I/O, no allocation
// beyond the HMAC's), so it can be fuzzed. Parameters are split on '&' and
// not percent-decoded (our values never need encoding); parameters other than
// expires and signature are ignored, as the static route ignores the query.
// The signature is compared in constant time (CRYPTO_memcmp).
LinkError check_link(std::string_view secret, std::string_view path, std::string_view query, std::int64_t now);

// Empty, shorter than kMinSecretBytes or longer than kMaxSecretBytes: an error saying so.
Status check_secret(std::string_view secret);

// The secret in `path`: the file's bytes with trailing CR and LF removed
// (what `$(cat file)` gives a shell), then check_secret. Errors name the file.
Result<std::string> read_secret_file(const std::string& path);

}  // namespace cache_tier::signing
