#pragma once
// AWS Signature Version 4, the pure parts: hashing, the signing key, URI
// encoding and presigned (query-string) URLs. Requests that cache-tier sends
// itself are signed by libcurl (CURLOPT_AWS_SIGV4); this is for the URLs it
// hands to browsers, which curl cannot make.
// Spec: https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html
#include <chrono>
#include <string>
#include <string_view>

namespace cache_tier::origins::sigv4 {

// SHA-256 of the empty payload: what a GET signs as its body hash.
inline constexpr std::string_view kEmptyPayloadHash =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

std::string sha256_hex(std::string_view data);
std::string hmac_sha256(std::string_view key, std::string_view data);  // raw 32 bytes
std::string to_hex(std::string_view bytes);                           // lower-case

// kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request")
std::string signing_key(std::string_view secret, std::string_view date, std::string_view region,
                        std::string_view service);

// Hex signature of a string to sign; `date` is YYYYMMDD.
std::string signature(std::string_view secret, std::string_view date, std::string_view region,
                      std::string_view service, std::string_view string_to_sign);

// AWS's URI encoding: every byte but A-Z a-z 0-9 - . _ ~ becomes %XX (upper-case
// hex); '/' is kept when `keep_slash` (object key paths) and encoded otherwise
// (query values).
std::string uri_encode(std::string_view text, bool keep_slash);

// "20130524T000000Z"
std::string amz_timestamp(std::chrono::system_clock::time_point when);

struct PresignRequest {
    std::string base;   // scheme://host[:port], no path: "https://examplebucket.s3.amazonaws.com"
    std::string path;   // canonical, already URI-encoded: "/test.txt"
    std::string access_key;
    std::string secret_key;
    std::string session_token;  // empty: none
    std::string region;
    std::string service = "s3";
    std::chrono::system_clock::time_point now;
    std::chrono::seconds expires{3600};
};

// The canonical request of a presigned GET (exposed for the published test vectors).
std::string presign_canonical_request(const PresignRequest& req);

// base + path + "?X-Amz-Algorithm=...&X-Amz-Signature=..."
std::string presigned_url(const PresignRequest& req);

}  // namespace cache_tier::origins::sigv4
