// make_origin(): which origin a URL builds, and the one-line error for every
// URL that cannot work.
#include <gtest/gtest.h>

#include <stdexcept>

#include "origin_test_support.hpp"

namespace {

using namespace origin_test;
using cache_tier::origins::make_origin;

struct BadUrl {
    std::string url;
    std::string expected;  // part of the message
};

class MakeOriginRejects : public ::testing::TestWithParam<BadUrl> {};

TEST_P(MakeOriginRejects, WithAMessageSayingWhy) {
    ScopedEnv env(no_aws_env());
    const BadUrl& bad = GetParam();
    try {
        make_origin(options_for(bad.url));
        FAIL() << "accepted " << bad.url;
    } catch (const std::invalid_argument& e) {
        std::string message = e.what();
        EXPECT_NE(message.find(bad.expected), std::string::npos) << message;
        EXPECT_EQ(message.find('\n'), std::string::npos) << "one line: " << message;
        if (!bad.url.empty()) {
            EXPECT_NE(message.find(bad.url), std::string::npos) << message;
        }
    }
}

INSTANTIATE_TEST_SUITE_P(
    Urls, MakeOriginRejects,
    ::testing::Values(BadUrl{"", "origin URL is empty"},
                      BadUrl{"ftp://files.example.com/pub", "unknown scheme 'ftp' (use http, https, s3 or file)"},
                      BadUrl{"files.example.com/pub", "missing scheme"},
                      BadUrl{"://files.example.com", "missing scheme"},
                      BadUrl{"http://", "missing host"},
                      BadUrl{"https:///files", "missing host"},
                      BadUrl{"http://user:secret@files.example.com/", "has credentials"},
                      BadUrl{"http://files.example.com/pub?x=1", "query string"},
                      BadUrl{"http://files.example.com/pub#top", "fragment"},
                      BadUrl{"http://files.example.com/my files", "space or a control character"},
                      BadUrl{"s3://", "missing bucket"},
                      BadUrl{"s3:///prefix", "missing bucket"},
                      BadUrl{"s3://my@bucket/prefix", "bucket name 'my@bucket'"},
                      BadUrl{"s3://bucket/prefix", "no S3 credentials"},
                      BadUrl{"file://server/share", "not a host"},
                      BadUrl{"file:///no/such/directory/anywhere", "cannot be used"},
                      BadUrl{"file:///etc/hostname", "is not a directory"},
                      BadUrl{"file:///tmp/%zz", "percent-escape"}));

TEST(MakeOrigin, S3ConfigNamingOnlyOneKeyIsRefused) {
    ScopedEnv env(no_aws_env());
    OriginOptions opts = options_for("s3://bucket");
    opts.s3_access_key = "AKID";
    EXPECT_THROW(make_origin(opts), std::invalid_argument);
}

TEST(MakeOrigin, S3EndpointMustBeHttp) {
    ScopedEnv env(no_aws_env());
    OriginOptions opts = options_for("s3://bucket");
    opts.s3_access_key = "AKID";
    opts.s3_secret_key = "secret";
    opts.s3_endpoint = "ftp://127.0.0.1:9000";
    try {
        make_origin(opts);
        FAIL();
    } catch (const std::invalid_argument& e) {
        EXPECT_NE(std::string(e.what()).find("S3 endpoint 'ftp://127.0.0.1:9000'"), std::string::npos) << e.what();
    }
}

TEST(MakeOrigin, S3PresignExpiryBeyondSevenDaysIsRefused) {
    ScopedEnv env(no_aws_env());
    OriginOptions opts = options_for("s3://bucket");
    opts.s3_access_key = "AKID";
    opts.s3_secret_key = "secret";
    opts.presign_expiry = std::chrono::hours(24 * 8);
    EXPECT_THROW(make_origin(opts), std::invalid_argument);
}

TEST(MakeOrigin, HttpBaseKeepsItsPathAndLosesTrailingSlashes) {
    auto origin = make_origin(options_for("HTTP://files.example.com/pub/"));
    EXPECT_EQ(origin->describe(), "http://files.example.com/pub");
    EXPECT_EQ(origin->public_url("Show/Ep 1.mp3"), "http://files.example.com/pub/Show/Ep%201.mp3");
    EXPECT_EQ(make_origin(options_for("https://cdn.example.com"))->public_url("A.bin"),
              "https://cdn.example.com/A.bin");
}

TEST(MakeOrigin, S3OnAwsUsesVirtualHostedPresignedUrls) {
    ScopedEnv env(no_aws_env());
    OriginOptions opts = options_for("s3://media-bucket/podcasts/");
    opts.s3_access_key = "AKIDEXAMPLE";
    opts.s3_secret_key = "do-not-print-me";
    opts.s3_region = "eu-west-1";
    opts.presign_expiry = std::chrono::seconds(600);
    auto origin = make_origin(opts);
    std::string url = origin->public_url("Show/Ep 1.mp3");
    EXPECT_EQ(url.rfind("https://media-bucket.s3.eu-west-1.amazonaws.com/podcasts/Show/Ep%201.mp3?"
                        "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F",
                        0),
              0u)
        << url;
    EXPECT_NE(url.find("%2Feu-west-1%2Fs3%2Faws4_request&"), std::string::npos) << url;
    EXPECT_NE(url.find("&X-Amz-Expires=600&"), std::string::npos) << url;
    EXPECT_EQ(url.find("do-not-print-me"), std::string::npos);
    std::string description = origin->describe();
    EXPECT_NE(description.find("s3://media-bucket/podcasts"), std::string::npos) << description;
    EXPECT_EQ(description.find("do-not-print-me"), std::string::npos) << description;
    EXPECT_EQ(description.find("AKIDEXAMPLE"), std::string::npos) << description;
}

TEST(MakeOrigin, S3DottedBucketOnAwsIsPathStyle) {
    ScopedEnv env(no_aws_env());
    OriginOptions opts = options_for("s3://media.example.com");
    opts.s3_access_key = "AKID";
    opts.s3_secret_key = "secret";
    std::string url = make_origin(opts)->public_url("a.bin");
    EXPECT_EQ(url.rfind("https://s3.us-east-1.amazonaws.com/media.example.com/a.bin?", 0), 0u) << url;
}

TEST(MakeOrigin, S3TakesCredentialsRegionAndEndpointFromTheEnvironment) {
    ScopedEnv clean(no_aws_env());
    ScopedEnv env({{"AWS_ACCESS_KEY_ID", "AKIDENV"},
                   {"AWS_SECRET_ACCESS_KEY", "secret"},
                   {"AWS_SESSION_TOKEN", "token"},
                   {"AWS_DEFAULT_REGION", "ap-south-1"},
                   {"AWS_ENDPOINT_URL", "http://127.0.0.1:9000/"}});
    std::string url = make_origin(options_for("s3://bucket/pre"))->public_url("k.bin");
    EXPECT_EQ(url.rfind("http://127.0.0.1:9000/bucket/pre/k.bin?", 0), 0u) << url;
    EXPECT_NE(url.find("X-Amz-Credential=AKIDENV%2F"), std::string::npos) << url;
    EXPECT_NE(url.find("%2Fap-south-1%2Fs3%2F"), std::string::npos) << url;
    EXPECT_NE(url.find("X-Amz-Security-Token=token"), std::string::npos) << url;
}

TEST(MakeOrigin, S3RegionDefaultsToUsEast1) {
    ScopedEnv env(no_aws_env());
    OriginOptions opts = options_for("s3://bucket");
    opts.s3_access_key = "AKID";
    opts.s3_secret_key = "secret";
    EXPECT_NE(make_origin(opts)->public_url("a").find("%2Fus-east-1%2Fs3%2F"), std::string::npos);
}

TEST(MakeOrigin, FileOriginNamesItsDirectory) {
    ct_test::TempDir dir;
    auto origin = make_origin(options_for("file://" + dir.path().string() + "/"));
    EXPECT_EQ(origin->describe(), "file://" + dir.path().string());
    EXPECT_EQ(origin->public_url("Show/Ep 1.mp3"), "file://" + dir.path().string() + "/Show/Ep%201.mp3");
    EXPECT_NO_THROW(make_origin(options_for("file://localhost" + dir.path().string())));
}

TEST(MakeOrigin, StatusNamesAreStable) {
    using cache_tier::origins::to_string;
    EXPECT_EQ(to_string(FetchStatus::ok), "ok");
    EXPECT_EQ(to_string(FetchStatus::short_body), "short_body");
    EXPECT_EQ(to_string(FetchStatus::connection_error), "connection_error");
}

}  // namespace
