#pragma once
// Inside the origins area: how make_origin() takes an origin URL apart and
// which factory builds each kind. Factories throw std::invalid_argument with
// the message make_origin() documents.
#include <memory>
#include <string>
#include <string_view>

#include "origins/origin.hpp"

namespace cache_tier::origins::detail {

// scheme://authority/path — no query or fragment (an origin base has none).
struct UrlParts {
    std::string scheme;     // lower-cased
    std::string authority;  // host[:port], maybe with userinfo@
    std::string path;       // "" or starting with '/'
};

// Throws invalid_argument ("origin URL '<url>': <why>") if `url` has no
// "scheme://", or has a query, a fragment, whitespace or control characters.
UrlParts split_url(std::string_view url);

[[noreturn]] void throw_bad_url(std::string_view url, std::string_view why);

// The environment variable `name`, or "" when unset.
std::string env_or_empty(const char* name);

// The <Code> of an S3 XML error body ("SignatureDoesNotMatch"), "" if there is
// none: S3 and public buckets behind an http(s) base answer errors this way.
std::string s3_error_code(std::string_view body);

std::unique_ptr<Origin> make_http_origin(const OriginOptions& opts, const UrlParts& url);
std::unique_ptr<Origin> make_s3_origin(const OriginOptions& opts, const UrlParts& url);
std::unique_ptr<Origin> make_file_origin(const OriginOptions& opts, const UrlParts& url);

}  // namespace cache_tier::origins::detail
