#include "origins/sigv4.hpp"

#include "common/percent.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <ctime>
#include <stdexcept>
#include <vector>

namespace cache_tier::origins::sigv4 {

namespace {

// The Host header a client sends for `base`: the authority, without a default port
// (browsers and curl leave :80 / :443 out, and the signature covers the header as sent).
std::string host_of(std::string_view base) {
    auto scheme_end = base.find("://");
    std::string_view scheme = scheme_end == std::string_view::npos ? "" : base.substr(0, scheme_end);
    std::string_view host = scheme_end == std::string_view::npos ? base : base.substr(scheme_end + 3);
    host = host.substr(0, host.find('/'));
    if ((scheme == "https" && host.ends_with(":443")) || (scheme == "http" && host.ends_with(":80")))
        host.remove_suffix(host.size() - host.rfind(':'));
    return std::string(host);
}

std::string credential_scope(const PresignRequest& req, std::string_view date) {
    return std::string(date) + "/" + req.region + "/" + req.service + "/aws4_request";
}

// The query parameters, already encoded and in canonical (byte) order.
std::string canonical_query(const PresignRequest& req) {
    std::string timestamp = amz_timestamp(req.now);
    std::string date = timestamp.substr(0, 8);
    std::string query = "X-Amz-Algorithm=AWS4-HMAC-SHA256";
    query += "&X-Amz-Credential=" + uri_encode(req.access_key + "/" + credential_scope(req, date), false);
    query += "&X-Amz-Date=" + timestamp;
    query += "&X-Amz-Expires=" + std::to_string(req.expires.count());
    if (!req.session_token.empty()) query += "&X-Amz-Security-Token=" + uri_encode(req.session_token, false);
    query += "&X-Amz-SignedHeaders=host";
    return query;
}

}  // namespace

std::string to_hex(std::string_view bytes) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    out.reserve(bytes.size() * 2);
    for (unsigned char c : bytes) {
        out += digits[c >> 4];
        out += digits[c & 0xf];
    }
    return out;
}

std::string sha256_hex(std::string_view data) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (EVP_Digest(data.data(), data.size(), digest, &length, EVP_sha256(), nullptr) != 1)
        throw std::runtime_error("SHA-256 failed");
    return to_hex(std::string_view(reinterpret_cast<const char*>(digest), length));
}

std::string hmac_sha256(std::string_view key, std::string_view data) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (!HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
              reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest, &length))
        throw std::runtime_error("HMAC-SHA256 failed");
    return std::string(reinterpret_cast<const char*>(digest), length);
}

std::string signing_key(std::string_view secret, std::string_view date, std::string_view region,
                        std::string_view service) {
    std::string key = hmac_sha256("AWS4" + std::string(secret), date);
    key = hmac_sha256(key, region);
    key = hmac_sha256(key, service);
    return hmac_sha256(key, "aws4_request");
}

std::string signature(std::string_view secret, std::string_view date, std::string_view region,
                      std::string_view service, std::string_view string_to_sign) {
    return to_hex(hmac_sha256(signing_key(secret, date, region, service), string_to_sign));
}

std::string uri_encode(std::string_view text, bool keep_slash) { return percent_encode(text, keep_slash); }

std::string amz_timestamp(std::chrono::system_clock::time_point when) {
    std::time_t seconds = std::chrono::system_clock::to_time_t(when);
    std::tm utc{};
    gmtime_r(&seconds, &utc);
    char buffer[32];
    std::strftime(buffer, sizeof buffer, "%Y%m%dT%H%M%SZ", &utc);
    return buffer;
}

std::string presign_canonical_request(const PresignRequest& req) {
    // Method, path, query, headers (host only), signed header names, payload hash:
    // a presigned URL cannot know the payload, so it signs UNSIGNED-PAYLOAD.
    return "GET\n" + req.path + "\n" + canonical_query(req) + "\nhost:" + host_of(req.base) +
           "\n\nhost\nUNSIGNED-PAYLOAD";
}

std::string presigned_url(const PresignRequest& req) {
    std::string timestamp = amz_timestamp(req.now);
    std::string date = timestamp.substr(0, 8);
    std::string string_to_sign = "AWS4-HMAC-SHA256\n" + timestamp + "\n" + credential_scope(req, date) + "\n" +
                                 sha256_hex(presign_canonical_request(req));
    return req.base + req.path + "?" + canonical_query(req) +
           "&X-Amz-Signature=" + signature(req.secret_key, date, req.region, req.service, string_to_sign);
}

}  // namespace cache_tier::origins::sigv4
