// SigV4 signing against the examples AWS publishes:
// - "Examples of how to derive a signing key for Signature Version 4" (AWS General Reference)
// - "Authenticating Requests: Using the Authorization Header" (S3 API Reference), GET Object
// - "Authenticating Requests: Using Query Parameters" (S3 API Reference), presigned GET
#include "origins/sigv4.hpp"

#include <gtest/gtest.h>

#include <chrono>

namespace {

using namespace cache_tier::origins::sigv4;

constexpr const char* kExampleAccessKey = "AKIAIOSFODNN7EXAMPLE";
constexpr const char* kExampleSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

// 2013-05-24T00:00:00Z, the time of the S3 examples.
std::chrono::system_clock::time_point example_time() {
    return std::chrono::system_clock::from_time_t(1369353600);
}

PresignRequest example_presign() {
    PresignRequest req;
    req.base = "https://examplebucket.s3.amazonaws.com";
    req.path = "/test.txt";
    req.access_key = kExampleAccessKey;
    req.secret_key = kExampleSecret;
    req.region = "us-east-1";
    req.now = example_time();
    req.expires = std::chrono::seconds(86400);
    return req;
}

TEST(Sigv4, Sha256OfEmptyPayloadIsTheConstantS3Expects) {
    EXPECT_EQ(sha256_hex(""), kEmptyPayloadHash);
}

TEST(Sigv4, SigningKeyMatchesTheGeneralReferenceExample) {
    EXPECT_EQ(to_hex(signing_key("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20120215", "us-east-1", "iam")),
              "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d");
}

TEST(Sigv4, HeaderSignedGetObjectMatchesTheS3Example) {
    const std::string canonical_request =
        "GET\n/test.txt\n\n"
        "host:examplebucket.s3.amazonaws.com\n"
        "range:bytes=0-9\n"
        "x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
        "x-amz-date:20130524T000000Z\n\n"
        "host;range;x-amz-content-sha256;x-amz-date\n"
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    const std::string canonical_hash = sha256_hex(canonical_request);
    EXPECT_EQ(canonical_hash, "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972");
    const std::string string_to_sign =
        "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n" + canonical_hash;
    EXPECT_EQ(signature(kExampleSecret, "20130524", "us-east-1", "s3", string_to_sign),
              "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
}

TEST(Sigv4, PresignedCanonicalRequestMatchesTheS3Example) {
    EXPECT_EQ(presign_canonical_request(example_presign()),
              "GET\n/test.txt\n"
              "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2F"
              "aws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host\n"
              "host:examplebucket.s3.amazonaws.com\n\nhost\nUNSIGNED-PAYLOAD");
    EXPECT_EQ(sha256_hex(presign_canonical_request(example_presign())),
              "3bfa292879f6447bbcda7001decf97f4a54dc650c8942174ae0a9121cf58ad04");
}

TEST(Sigv4, PresignedUrlMatchesTheS3Example) {
    EXPECT_EQ(presigned_url(example_presign()),
              "https://examplebucket.s3.amazonaws.com/test.txt"
              "?X-Amz-Algorithm=AWS4-HMAC-SHA256"
              "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
              "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host"
              "&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");
}

TEST(Sigv4, SessionTokenIsSignedInCanonicalOrder) {
    PresignRequest req = example_presign();
    req.session_token = "tok/en+=";
    std::string canonical = presign_canonical_request(req);
    // Parameters sort by name: ...X-Amz-Expires, X-Amz-Security-Token, X-Amz-SignedHeaders.
    EXPECT_NE(canonical.find("&X-Amz-Expires=86400&X-Amz-Security-Token=tok%2Fen%2B%3D&X-Amz-SignedHeaders=host\n"),
              std::string::npos)
        << canonical;
    EXPECT_NE(presigned_url(req), presigned_url(example_presign()));
}

TEST(Sigv4, DefaultPortIsLeftOutOfTheSignedHost) {
    PresignRequest req = example_presign();
    req.base = "https://examplebucket.s3.amazonaws.com:443";
    EXPECT_NE(presign_canonical_request(req).find("\nhost:examplebucket.s3.amazonaws.com\n"), std::string::npos);
    req.base = "http://127.0.0.1:9000";
    EXPECT_NE(presign_canonical_request(req).find("\nhost:127.0.0.1:9000\n"), std::string::npos);
}

TEST(Sigv4, UriEncodingFollowsAwsRules) {
    EXPECT_EQ(uri_encode("Show/Ep 1.mp3", true), "Show/Ep%201.mp3");
    EXPECT_EQ(uri_encode("Show/Ep 1.mp3", false), "Show%2FEp%201.mp3");
    EXPECT_EQ(uri_encode("a+b=c&d~e_f-g.h", true), "a%2Bb%3Dc%26d~e_f-g.h");
    EXPECT_EQ(uri_encode("\xc3\xa9", true), "%C3%A9");  // UTF-8 bytes, upper-case hex
    EXPECT_EQ(uri_encode("100%", true), "100%25");
}

TEST(Sigv4, TimestampIsBasicIso8601InUtc) {
    EXPECT_EQ(amz_timestamp(example_time()), "20130524T000000Z");
    EXPECT_EQ(amz_timestamp(std::chrono::system_clock::from_time_t(1374437527)), "20130721T201207Z");
}

}  // namespace
