#pragma once
// Names that arrive in URLs are untrusted. This turns one into the name of a
// local copy (lower-case) and the name to ask the origin for (case kept), or
// says why it can never be valid.
#include <string>
#include <string_view>

#include "common/percent.hpp"

namespace cache_tier::store {

enum class NameError {
    none,
    empty,             // nothing after the prefix, or only slashes
    bad_encoding,      // '%' not followed by two hex digits
    control_character, // NUL or another byte < 0x20, or 0x7f, after decoding
    backslash,         // '\' anywhere (Windows-style separators are never valid)
    traversal,         // a "." or ".." segment, or an empty segment ("a//b", leading '/')
    reserved,          // inside cache-tier's own folder (.cache-tier/), or a temporary file name
    too_long,          // over 1024 bytes decoded, or a segment over 255 bytes
    bad_utf8,          // decoded bytes are not well-formed UTF-8 (overlong forms, surrogates, stray bytes)
};

struct Name {
    std::string local;   // decoded, ASCII lower-cased: the path under the cache directory
    std::string origin;  // decoded, case as given: the key appended to the origin base
};

// `raw` is the part of the URL path after the route prefix, still
// percent-encoded (e.g. "Show/Ep%201.mp3"). Decodes percent-escapes exactly once;
// a decoded '%' stays a literal character, so double encoding cannot smuggle
// "..". A '+' is a literal plus.
// `out` is an out-parameter on purpose, against the Result convention: the
// verify and static hot paths pass a thread_local Name whose buffers are reused,
// so a warm request allocates nothing.
NameError normalize_name(std::string_view raw, Name& out);

// Well-formed UTF-8 (RFC 3629 §4): no overlong form, surrogate, code point
// past U+10FFFF or stray byte. Every name normalize_name accepts is.
bool well_formed_utf8(std::string_view text);

// One line saying what is wrong, for error messages ("name contains '..'").
std::string_view describe(NameError error);

// Percent-encode a decoded name for use in a URL path: each segment encoded,
// '/' between segments kept. Unreserved characters (RFC 3986 §2.3) stay as is.
std::string encode_path(std::string_view name);

}  // namespace cache_tier::store
