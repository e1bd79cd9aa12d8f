#include "store/name.hpp"

#include "store/layout.hpp"

namespace cache_tier::store {
namespace {

constexpr std::size_t kMaxNameBytes = 1024;
constexpr std::size_t kMaxSegmentBytes = 255;  // NAME_MAX of common Linux file systems

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

char ascii_lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; }

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
            for (std::size_t i = 0; i < segment.size(); ++i) same = same && ascii_lower(segment[i]) == kStateDir[i];
            if (same) return NameError::reserved;
        }
        first = false;
        if (slash == std::string_view::npos) return NameError::none;
        name.remove_prefix(slash + 1);
    }
}

bool is_unreserved(char c) {
    // RFC 3986 §2.3: ALPHA / DIGIT / "-" / "." / "_" / "~"
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
           c == '_' || c == '~';
}

}  // namespace

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
    if (decoded.size() > kMaxNameBytes) return NameError::too_long;
    if (const NameError e = check_segments(decoded); e != NameError::none) return e;

    // Only ASCII is folded: the original service's names are case-insensitive
    // in ASCII, and folding UTF-8 would need locale data.
    out.local = decoded;
    for (char& c : out.local) c = ascii_lower(c);
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
    }
    return "name is invalid";
}

std::string encode_path(std::string_view name) { return percent_encode(name, true); }

bool percent_decode(std::string_view raw, std::string& out, BadEscape bad) {
    out.clear();
    out.reserve(raw.size());
    for (std::size_t i = 0; i < raw.size(); ++i) {
        if (raw[i] == '%' && i + 2 < raw.size()) {
            const int high = hex_value(raw[i + 1]);
            const int low = hex_value(raw[i + 2]);
            if (high >= 0 && low >= 0) {
                out.push_back(static_cast<char>(high * 16 + low));
                i += 2;
                continue;
            }
        }
        if (raw[i] == '%' && bad == BadEscape::refuse) return false;
        out.push_back(raw[i]);
    }
    return true;
}

std::string percent_encode(std::string_view text, bool keep_slash) {
    constexpr char kHex[] = "0123456789ABCDEF";
    std::string encoded;
    encoded.reserve(text.size());
    for (const char c : text) {
        if ((keep_slash && c == '/') || is_unreserved(c)) {
            encoded.push_back(c);
        } else {
            const auto byte = static_cast<unsigned char>(c);
            encoded.push_back('%');
            encoded.push_back(kHex[byte >> 4]);
            encoded.push_back(kHex[byte & 0xF]);
        }
    }
    return encoded;
}

}  // namespace cache_tier::store
