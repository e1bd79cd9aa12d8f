#pragma once
// RFC 3986 percent-encoding, where both the cache store (names in URLs) and
// the S3 signer (SigV4's URI encoding) use it without depending on each other.
#include <string>
#include <string_view>

namespace cache_tier {

// RFC 3986 percent-encoding with upper-case hex: everything but unreserved
// characters (and '/', when `keep_slash`) is escaped. store::encode_path is this with
// keep_slash; AWS SigV4's URI encoding is exactly this too.
std::string percent_encode(std::string_view text, bool keep_slash);

// What to do with a '%' that is not followed by two hex digits.
enum class BadEscape { refuse, keep };

// Decode percent-escapes exactly once into `out`. A bad escape makes it return
// false (BadEscape::refuse), or is copied as it stands (BadEscape::keep, for
// showing a rejected name back to the client).
bool percent_decode(std::string_view raw, std::string& out, BadEscape bad = BadEscape::refuse);

}  // namespace cache_tier
