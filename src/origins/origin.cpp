#include "origins/origin.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <stdexcept>

#include "origins/curl_transfer.hpp"
#include "origins/origin_factories.hpp"

namespace cache_tier::origins {

namespace detail {

void throw_bad_url(std::string_view url, std::string_view why) {
    throw std::invalid_argument("origin URL '" + std::string(url) + "': " + std::string(why));
}

std::string env_or_empty(const char* name) {
    const char* value = std::getenv(name);
    return value ? value : "";
}

UrlParts split_url(std::string_view url) {
    if (std::any_of(url.begin(), url.end(), [](unsigned char c) { return c <= 0x20 || c == 0x7f; }))
        throw_bad_url(url, "contains a space or a control character");
    auto separator = url.find("://");
    if (separator == std::string_view::npos || separator == 0)
        throw_bad_url(url, "missing scheme (use http, https, s3 or file)");
    // RFC 3986 §3.1: scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )
    std::string_view scheme = url.substr(0, separator);
    bool valid_scheme = std::isalpha(static_cast<unsigned char>(scheme[0])) &&
                        std::all_of(scheme.begin(), scheme.end(), [](unsigned char c) {
                            return std::isalnum(c) || c == '+' || c == '-' || c == '.';
                        });
    if (!valid_scheme) throw_bad_url(url, "missing scheme (use http, https, s3 or file)");
    if (url.find('?') != std::string_view::npos)
        throw_bad_url(url, "has a query string; an origin base URL cannot have one");
    if (url.find('#') != std::string_view::npos) throw_bad_url(url, "has a fragment ('#')");
    UrlParts parts;
    parts.scheme.resize(scheme.size());
    std::transform(scheme.begin(), scheme.end(), parts.scheme.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    std::string_view rest = url.substr(separator + 3);
    auto slash = rest.find('/');
    parts.authority = std::string(rest.substr(0, slash));
    if (slash != std::string_view::npos) parts.path = std::string(rest.substr(slash));
    return parts;
}

}  // namespace detail

std::unique_ptr<Origin> make_origin(const OriginOptions& opts) {
    if (opts.url.empty())
        throw std::invalid_argument("origin URL is empty (use http://, https://, s3://bucket/prefix or file:///dir)");
    detail::UrlParts url = detail::split_url(opts.url);
    // Set curl up here, on the configuring thread, before any fill worker runs.
    detail::ensure_curl_initialized();
    if (url.scheme == "http" || url.scheme == "https") return detail::make_http_origin(opts, url);
    if (url.scheme == "s3") return detail::make_s3_origin(opts, url);
    if (url.scheme == "file") return detail::make_file_origin(opts, url);
    detail::throw_bad_url(opts.url, "unknown scheme '" + url.scheme + "' (use http, https, s3 or file)");
}

std::string_view to_string(FetchStatus status) {
    switch (status) {
        case FetchStatus::ok: return "ok";
        case FetchStatus::not_modified: return "not_modified";
        case FetchStatus::not_found: return "not_found";
        case FetchStatus::refused: return "refused";
        case FetchStatus::too_large: return "too_large";
        case FetchStatus::origin_error: return "origin_error";
        case FetchStatus::timeout: return "timeout";
        case FetchStatus::connection_error: return "connection_error";
        case FetchStatus::short_body: return "short_body";
        case FetchStatus::local_error: return "local_error";
    }
    return "unknown";
}

}  // namespace cache_tier::origins
