#include "store/name.hpp"

#include "http/ascii.hpp"
#include "store/layout.hpp"

namespace cache_tier::store {
namespace {

constexpr std::size_t kMaxNameBytes = 1024;
constexpr std::size_t kMaxSegmentBytes = 255;  // NAME_MAX of common Linux file systems


NameError check_bytes(std::string_view name) {
    for (const char c : name) {
        const auto byte = static_cast<unsigned char>(c);
        if (byte < 0x20 || byte == 0x7f) return NameError::control_character;
        if (c == '\\') return NameError::backslash;
    }
    return NameError::none;
}

// Each segment must be a plain file or folder name under the cache directory.
NameError check_segments(std::string_view name) {
    bool first = true;
    while (true) {
        const auto slash = name.find('/');
        const std::string_view segment = name.substr(0, slash);
        if (segment.empty() || segment == "." || segment == "..") return NameError::traversal;
        if (segment.size() > kMaxSegmentBytes) return NameError::too_long;
        if (first && segment.size() == kStateDir.size()) {
            bool same = true;
            for (std::size_t i = 0; i < segment.size(); ++i) same = same && http::ascii_lower(segment[i]) == kStateDir[i];
            if (same) return NameError::reserved;
        }
        first = false;
        if (slash == std::string_view::npos) return NameError::none;
        name.remove_prefix(slash + 1);
    }
}

}  // namespace

// Well-formed UTF-8 as RFC 3629 §4 defines it. Overlong forms ("%C0%AE" for
// '.') are what decoders that accept them turn into "..", and RFC 3629 §10
// says to refuse them; surrogates and code points past U+10FFFF are not
// characters. A name that is not text is never a file the origin meant.
bool well_formed_utf8(std::string_view text) {
    std::size_t i = 0;
    while (i < text.size()) {
        const auto lead = static_cast<unsigned char>(text[i]);
        if (lead < 0x80) {
            ++i;
            continue;
        }
        std::size_t length = 0;
        unsigned char low = 0x80, high = 0xBF;  // allowed range of the second byte
        if (lead >= 0xC2 && lead <= 0xDF) {
            length = 2;
        } else if (lead >= 0xE0 && lead <= 0xEF) {
            length = 3;
            if (lead == 0xE0) low = 0xA0;   // overlong below U+0800
            if (lead == 0xED) high = 0x9F;  // surrogates U+D800..U+DFFF
        } else if (lead >= 0xF0 && lead <= 0xF4) {
            length = 4;
            if (lead == 0xF0) low = 0x90;   // overlong below U+10000
            if (lead == 0xF4) high = 0x8F;  // past U+10FFFF
        } else {
            return false;  // a continuation byte first, C0/C1 (always overlong), or F5..FF
        }
        if (i + length > text.size()) return false;
        const auto second = static_cast<unsigned char>(text[i + 1]);
        if (second < low || second > high) return false;
        for (std::size_t k = 2; k < length; ++k) {
            const auto next = static_cast<unsigned char>(text[i + k]);
            if (next < 0x80 || next > 0xBF) return false;
        }
        i += length;
    }
    return true;
}

NameError normalize_name(std::string_view raw, Name& out) {
    out.local.clear();
    out.origin.clear();
    // Every escape shrinks 3 bytes to 1, so a longer raw name is too long
    // decoded as well; refusing it here bounds the work on hostile input.
    if (raw.size() > 3 * kMaxNameBytes) return NameError::too_long;

    // Decoded exactly once: the output is never decoded again, so
    // "%252e%252e" becomes the harmless literal "%2e%2e", not "..".
    std::string decoded;
    if (!percent_decode(raw, decoded)) return NameError::bad_encoding;
    if (decoded.find_first_not_of('/') == std::string::npos) return NameError::empty;
    if (const NameError e = check_bytes(decoded); e != NameError::none) return e;
    if (!well_formed_utf8(decoded)) return NameError::bad_utf8;
    if (decoded.size() > kMaxNameBytes) return NameError::too_long;
    if (const NameError e = check_segments(decoded); e != NameError::none) return e;

    // Only ASCII is folded: the original service's names are case-insensitive
    // in ASCII, and folding UTF-8 would need locale data.
    out.local = decoded;
    for (char& c : out.local) c = http::ascii_lower(c);
    out.origin = std::move(decoded);
    return NameError::none;
}

std::string_view describe(NameError error) {
    switch (error) {
        case NameError::none: return "name is valid";
        case NameError::empty: return "name is empty";
        case NameError::bad_encoding: return "name has a '%' not followed by two hex digits";
        case NameError::control_character: return "name contains a control character";
        case NameError::backslash: return "name contains a backslash";
        case NameError::traversal: return "name contains '.', '..' or an empty segment";
        case NameError::reserved: return "name is inside cache-tier's own folder";
        case NameError::too_long: return "name is longer than 1024 bytes or has a segment over 255 bytes";
        case NameError::bad_utf8: return "name is not well-formed UTF-8";
    }
    return "name is invalid";
}

std::string encode_path(std::string_view name) { return percent_encode(name, true); }

}  // namespace cache_tier::store
