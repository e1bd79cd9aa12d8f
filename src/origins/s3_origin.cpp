// Origin in a private S3 bucket (or an S3-compatible store): s3://bucket/prefix.
// Fetches are signed by libcurl (CURLOPT_AWS_SIGV4); browser redirects get a
// presigned URL made by sigv4.cpp.
#include <algorithm>
#include <cctype>
#include <memory>
#include <string>

#include "origins/curl_transfer.hpp"
#include "origins/origin_factories.hpp"
#include "origins/sigv4.hpp"

namespace cache_tier::origins::detail {

namespace {

// S3 refuses presigned URLs that live longer than seven days.
constexpr std::chrono::seconds kMaxPresignExpiry{7 * 24 * 3600};

struct S3Settings {
    std::string bucket;
    std::string prefix;  // no leading or trailing '/'; taken literally (not percent-decoded)
    std::string access_key;
    std::string secret_key;
    std::string session_token;
    std::string region;
    std::string base;         // scheme://host[:port] that requests go to
    std::string path_prefix;  // "/bucket" (path-style, after any endpoint path) or "" (virtual-hosted)
};

class S3Origin final : public Origin {
public:
    S3Origin(OriginOptions opts, S3Settings settings) : opts_(std::move(opts)), s3_(std::move(settings)) {}

    FetchResult fetch(const FetchRequest& req, int out_fd) override {
        TransferRequest transfer;
        transfer.url = s3_.base + object_path(req.key);
        // curl 7.88 neither sends nor signs x-amz-content-sha256, and S3 requires it;
        // given as a header, curl signs it and uses it as the payload hash.
        transfer.headers.push_back("x-amz-content-sha256: " + std::string(sigv4::kEmptyPayloadHash));
        if (!s3_.session_token.empty()) transfer.headers.push_back("x-amz-security-token: " + s3_.session_token);
        transfer.aws_sigv4 = "aws:amz:" + s3_.region + ":s3";
        transfer.username = s3_.access_key;
        transfer.password = s3_.secret_key;
        // A redirect from S3 means a wrong region or endpoint; following it would
        // re-send the signature elsewhere. Report it instead.
        transfer.follow_redirects = false;
        transfer.error_code_of = &s3_error_code;
        return run_transfer(opts_, transfer, req, out_fd);
    }

    std::string public_url(std::string_view key) const override {
        sigv4::PresignRequest presign;
        presign.base = s3_.base;
        presign.path = object_path(key);
        presign.access_key = s3_.access_key;
        presign.secret_key = s3_.secret_key;
        presign.session_token = s3_.session_token;
        presign.region = s3_.region;
        presign.now = std::chrono::system_clock::now();
        presign.expires = opts_.presign_expiry;
        return sigv4::presigned_url(presign);
    }

    std::string describe() const override {
        std::string text = "s3://" + s3_.bucket;
        if (!s3_.prefix.empty()) text += "/" + s3_.prefix;
        return text + " at " + s3_.base + s3_.path_prefix + " (region " + s3_.region + ")";
    }

private:
    // The canonical (AWS URI-encoded) path of `key`: the signature covers it byte for byte.
    std::string object_path(std::string_view key) const {
        std::string object_key = s3_.prefix.empty() ? std::string(key) : s3_.prefix + "/" + std::string(key);
        return s3_.path_prefix + "/" + sigv4::uri_encode(object_key, true);
    }

    OriginOptions opts_;
    S3Settings s3_;
};

bool is_bucket_char(unsigned char c) { return std::isalnum(c) || c == '.' || c == '-' || c == '_'; }
bool is_region_char(unsigned char c) { return std::isalnum(c) || c == '-'; }

std::string first_set(std::initializer_list<std::string> values) {
    for (const auto& v : values)
        if (!v.empty()) return v;
    return {};
}

// Credentials come as a set: from the config if it names any, else from the environment.
void resolve_credentials(const OriginOptions& opts, S3Settings& s3) {
    if (!opts.s3_access_key.empty() || !opts.s3_secret_key.empty()) {
        if (opts.s3_access_key.empty() || opts.s3_secret_key.empty())
            throw_bad_url(opts.url, "the config names only one of the S3 access key and secret key");
        s3.access_key = opts.s3_access_key;
        s3.secret_key = opts.s3_secret_key;
        s3.session_token = opts.s3_session_token;
        return;
    }
    s3.access_key = env_or_empty("AWS_ACCESS_KEY_ID");
    s3.secret_key = env_or_empty("AWS_SECRET_ACCESS_KEY");
    s3.session_token = first_set({opts.s3_session_token, env_or_empty("AWS_SESSION_TOKEN")});
    if (s3.access_key.empty() || s3.secret_key.empty())
        throw_bad_url(opts.url,
                      "no S3 credentials: set the access and secret key in the config, or AWS_ACCESS_KEY_ID and "
                      "AWS_SECRET_ACCESS_KEY in the environment");
}

// Where requests go: a custom endpoint (path-style), else AWS (virtual-hosted).
void resolve_endpoint(const OriginOptions& opts, S3Settings& s3) {
    std::string endpoint =
        first_set({opts.s3_endpoint, env_or_empty("AWS_ENDPOINT_URL_S3"), env_or_empty("AWS_ENDPOINT_URL")});
    if (endpoint.empty()) {
        // Dotted bucket names do not match S3's wildcard TLS certificate: path-style for those.
        if (s3.bucket.find('.') != std::string::npos) {
            s3.base = "https://s3." + s3.region + ".amazonaws.com";
            s3.path_prefix = "/" + s3.bucket;
        } else {
            s3.base = "https://" + s3.bucket + ".s3." + s3.region + ".amazonaws.com";
        }
        return;
    }
    UrlParts parts;
    try {
        parts = split_url(endpoint);
    } catch (const std::invalid_argument&) {
        throw_bad_url(opts.url, "S3 endpoint '" + endpoint + "' is not a URL (e.g. http://127.0.0.1:9000)");
    }
    if ((parts.scheme != "http" && parts.scheme != "https") || parts.authority.empty() ||
        parts.authority.find('@') != std::string::npos)
        throw_bad_url(opts.url, "S3 endpoint '" + endpoint + "' must be http://host[:port] or https://host[:port]");
    while (parts.path.ends_with('/')) parts.path.pop_back();
    s3.base = parts.scheme + "://" + parts.authority;
    s3.path_prefix = parts.path + "/" + s3.bucket;
}

}  // namespace

std::string s3_error_code(std::string_view body) {
    auto start = body.find("<Code>");
    if (start == std::string_view::npos) return {};
    start += 6;
    auto end = body.find("</Code>", start);
    if (end == std::string_view::npos || end - start > 64) return {};
    return std::string(body.substr(start, end - start));
}

std::unique_ptr<Origin> make_s3_origin(const OriginOptions& opts, const UrlParts& url) {
    S3Settings s3;
    s3.bucket = url.authority;
    if (s3.bucket.empty()) throw_bad_url(opts.url, "missing bucket (use s3://bucket/prefix)");
    if (!std::all_of(s3.bucket.begin(), s3.bucket.end(), [](unsigned char c) { return is_bucket_char(c); }))
        throw_bad_url(opts.url, "bucket name '" + s3.bucket + "' may hold only letters, digits, '.', '-' and '_'");
    s3.prefix = url.path;
    while (s3.prefix.starts_with('/')) s3.prefix.erase(0, 1);
    while (s3.prefix.ends_with('/')) s3.prefix.pop_back();

    resolve_credentials(opts, s3);
    // Both travel in request headers and URLs, where a space or line break would break them.
    auto printable = [](const std::string& v) {
        return std::all_of(v.begin(), v.end(), [](unsigned char c) { return c > 0x20 && c < 0x7f; });
    };
    if (!printable(s3.access_key) || !printable(s3.session_token))
        throw_bad_url(opts.url, "the S3 access key or session token contains spaces or control characters");
    s3.region = first_set({opts.s3_region, env_or_empty("AWS_REGION"), env_or_empty("AWS_DEFAULT_REGION"),
                           std::string("us-east-1")});
    if (!std::all_of(s3.region.begin(), s3.region.end(), [](unsigned char c) { return is_region_char(c); }))
        throw_bad_url(opts.url, "S3 region '" + s3.region + "' may hold only letters, digits and '-'");
    resolve_endpoint(opts, s3);
    if (opts.presign_expiry.count() < 1 || opts.presign_expiry > kMaxPresignExpiry)
        throw_bad_url(opts.url, "presigned URL expiry must be between 1 s and 7 days (S3's limit)");
    return std::make_unique<S3Origin>(opts, std::move(s3));
}

}  // namespace cache_tier::origins::detail
