#include "client/urls.hpp"

#include "cache_tier/client.hpp"
#include "signing/signed_link.hpp"

namespace cache_tier::client {

namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

std::string_view trim(std::string_view text) {
    while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
    while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
    return text;
}

bool starts_with_ci(std::string_view text, std::string_view prefix) {
    return text.size() >= prefix.size() && lower_ascii(text.substr(0, prefix.size())) == prefix;
}

// RFC 3986 §2.3.
bool is_unreserved(unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
           c == '_' || c == '~';
}

}  // namespace

std::string lower_ascii(std::string_view text) {
    std::string out(text);
    for (char& c : out)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return out;
}

std::string normalize_base_url(std::string_view base_url) {
    const std::string_view url = trim(base_url);
    const auto fail = [&](std::string_view why) {
        return CacheError("invalid cache-tier base URL '" + std::string(base_url) + "': " + std::string(why));
    };
    std::size_t scheme_length = 0;
    if (starts_with_ci(url, "http://"))
        scheme_length = 7;
    else if (starts_with_ci(url, "https://"))
        scheme_length = 8;
    else
        throw fail("it must start with http:// or https://");

    for (unsigned char c : url)
        if (c <= 0x20 || c == 0x7f) throw fail("it contains a space or control character");
    if (url.find_first_of("?#") != std::string_view::npos) throw fail("it must not have a query or fragment");

    const std::string_view rest = url.substr(scheme_length);
    const std::string_view host = rest.substr(0, rest.find('/'));
    if (host.empty() || host.front() == ':') throw fail("it has no host");

    std::string_view kept = url;
    while (kept.size() > scheme_length + host.size() && kept.back() == '/') kept.remove_suffix(1);
    return std::string(kept);
}

std::string_view checked_name(std::string_view name) {
    const std::string_view trimmed = trim(name);
    if (trimmed.empty()) throw CacheError("invalid file name: '" + std::string(name) + "' is blank");
    return trimmed;
}

std::string encode_name(std::string_view name) {
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(name.size() * 3);
    for (unsigned char c : name) {
        if (c == '/' || is_unreserved(c)) {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 0x0f];
        }
    }
    return out;
}

std::string route_url(std::string_view base, std::string_view route, std::string_view name) {
    std::string url(base);
    url += '/';
    url += route;
    url += '/';
    url += encode_name(name);
    return url;
}

void check_static_prefix(std::string_view prefix) {
    bool printable = true;
    for (unsigned char c : prefix) printable = printable && c > 0x20 && c < 0x7f && c != '?' && c != '#' && c != '%';
    if (prefix.size() < 3 || prefix.front() != '/' || prefix.back() != '/' || !printable)
        throw CacheError("invalid static_prefix '" + std::string(prefix) +
                         "': expected a path like /static/files_cache/ (starting and ending with '/')");
}

std::string signed_file_url(std::string_view base, std::string_view static_prefix, std::string_view name,
                            std::string_view secret, std::int64_t expires) {
    std::string url(base);
    url.append(static_prefix).append(encode_name(name)).append("?");
    url.append(signing::link_query(secret, signing::signed_path(static_prefix, name), expires));
    return url;
}

}  // namespace cache_tier::client
