// S3Origin against tests/fakes/sigv4_origin.py, which checks every signature
// with botocore's independent SigV4 implementation.
#include <gtest/gtest.h>

#include <thread>

#include "unit/origins/origin_test_support.hpp"
#include "support/http_client.hpp"

namespace {

using namespace origin_test;
using cache_tier::origins::make_origin;

constexpr const char* kAccessKey = "AKIDCACHETIERTEST";
constexpr const char* kSecretKey = "s3cr3t/with+special=chars";

class S3Origin : public ::testing::Test {
protected:
    explicit S3Origin(std::vector<std::string> extra_fake_args = {})
        : env_(no_aws_env()), fake_("sigv4_origin.py", root_.path(), fake_args(std::move(extra_fake_args))) {
        ct_test::write_file(root_ / "media/ep1.mp3", ct_test::random_bytes(300000, 11));
        ct_test::write_file(root_ / "media/Show/Ep 1 (caf\xc3\xa9)+x&y=z.mp3", "odd name");
    }

    static std::vector<std::string> fake_args(std::vector<std::string> extra) {
        std::vector<std::string> args = {"--bucket", "bucket", "--access-key", kAccessKey,
                                         "--secret-key", kSecretKey, "--region", "eu-central-1"};
        args.insert(args.end(), extra.begin(), extra.end());
        return args;
    }

    OriginOptions options(const std::string& secret = kSecretKey) const {
        OriginOptions opts = options_for("s3://bucket/media");
        opts.s3_access_key = kAccessKey;
        opts.s3_secret_key = secret;
        opts.s3_region = "eu-central-1";
        opts.s3_endpoint = fake_.base_url();
        return opts;
    }

    // GET a URL of the fake the way a browser would: on a plain socket, with
    // the Host header a browser sends (the signature covers it).
    std::optional<ct_test::HttpResponse> browser_get(const std::string& url) const {
        std::string prefix = fake_.base_url();
        EXPECT_EQ(url.rfind(prefix, 0), 0u) << url;
        ct_test::Connection connection(fake_.port());
        connection.send("GET " + url.substr(prefix.size()) + " HTTP/1.1\r\nHost: 127.0.0.1:" +
                        std::to_string(fake_.port()) + "\r\nConnection: close\r\n\r\n");
        return connection.read_response();
    }

    ScopedEnv env_;
    ct_test::TempDir root_;
    Fake fake_;
};

TEST_F(S3Origin, RightSecretFetchesTheObject) {
    auto origin = make_origin(options());
    Fetched got = fetch_to_file(*origin, "ep1.mp3");
    ASSERT_EQ(got.result.status, FetchStatus::ok) << got.result.message << "\n" << fake_.log();
    EXPECT_TRUE(same_bytes(got.body, ct_test::read_file(root_ / "media/ep1.mp3")));
    EXPECT_FALSE(got.result.etag.empty());
    EXPECT_EQ(fake_.count_requests("GET /bucket/media/ep1.mp3 200"), 1) << fake_.log();
}

TEST_F(S3Origin, SignatureCoversOddNames) {
    auto origin = make_origin(options());
    Fetched got = fetch_to_file(*origin, "Show/Ep 1 (caf\xc3\xa9)+x&y=z.mp3");
    ASSERT_EQ(got.result.status, FetchStatus::ok) << got.result.message << "\n" << fake_.log();
    EXPECT_EQ(got.body, "odd name");
}

TEST_F(S3Origin, WrongSecretIsRefusedWithTheS3Code) {
    auto origin = make_origin(options("not-the-secret"));
    Fetched got = fetch_to_file(*origin, "ep1.mp3");
    EXPECT_EQ(got.result.status, FetchStatus::refused);
    EXPECT_EQ(got.result.http_status, 403);
    EXPECT_EQ(got.result.message, "signature refused by origin (403 Forbidden: SignatureDoesNotMatch)");
    EXPECT_EQ(got.body, "");
}

TEST_F(S3Origin, UnknownAccessKeyIsRefused) {
    OriginOptions opts = options();
    opts.s3_access_key = "AKIDSOMEONEELSE";
    Fetched got = fetch_to_file(*make_origin(opts), "ep1.mp3");
    EXPECT_EQ(got.result.status, FetchStatus::refused);
    EXPECT_NE(got.result.message.find("InvalidAccessKeyId"), std::string::npos) << got.result.message;
}

TEST_F(S3Origin, WrongRegionIsRefused) {
    OriginOptions opts = options();
    opts.s3_region = "us-west-2";
    EXPECT_EQ(fetch_to_file(*make_origin(opts), "ep1.mp3").result.status, FetchStatus::refused);
}

TEST_F(S3Origin, MissingKeyIsNotFound) {
    Fetched got = fetch_to_file(*make_origin(options()), "nope.mp3");
    EXPECT_EQ(got.result.status, FetchStatus::not_found);
    EXPECT_EQ(got.result.message, "origin answered 404 Not Found: NoSuchKey");
}

TEST_F(S3Origin, SignedConditionalGetIsNotModified) {
    auto origin = make_origin(options());
    Fetched first = fetch_to_file(*origin, "ep1.mp3");
    ASSERT_EQ(first.result.status, FetchStatus::ok) << first.result.message;
    FetchRequest req;
    req.key = "ep1.mp3";
    req.validators.etag = first.result.etag;
    req.validators.last_modified = first.result.last_modified;
    Fetched again = fetch_to_file(*origin, req);
    EXPECT_EQ(again.result.status, FetchStatus::not_modified) << again.result.message;
    EXPECT_EQ(again.result.etag, first.result.etag);
}

TEST_F(S3Origin, CredentialsFromTheEnvironment) {
    ScopedEnv env({{"AWS_ACCESS_KEY_ID", kAccessKey},
                   {"AWS_SECRET_ACCESS_KEY", kSecretKey},
                   {"AWS_REGION", "eu-central-1"},
                   {"AWS_ENDPOINT_URL", fake_.base_url()}});
    auto origin = make_origin(options_for("s3://bucket/media/"));
    Fetched got = fetch_to_file(*origin, "ep1.mp3");
    EXPECT_EQ(got.result.status, FetchStatus::ok) << got.result.message;
}

TEST_F(S3Origin, PresignedUrlWorksInABrowser) {
    auto origin = make_origin(options());
    auto response = browser_get(origin->public_url("ep1.mp3"));
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 200) << response->body;
    EXPECT_TRUE(same_bytes(response->body, ct_test::read_file(root_ / "media/ep1.mp3")));

    auto odd = browser_get(origin->public_url("Show/Ep 1 (caf\xc3\xa9)+x&y=z.mp3"));
    ASSERT_TRUE(odd);
    EXPECT_EQ(odd->status, 200) << odd->body;
}

TEST_F(S3Origin, PresignedUrlIsBoundToItsKey) {
    auto origin = make_origin(options());
    std::string url = origin->public_url("ep1.mp3");
    std::string query = url.substr(url.find('?'));
    ct_test::write_file(root_ / "media/other.mp3", "other");
    auto response = browser_get(fake_.base_url() + "/bucket/media/other.mp3" + query);
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 403);
    EXPECT_NE(response->body.find("SignatureDoesNotMatch"), std::string::npos);
}

TEST_F(S3Origin, PresignedUrlExpires) {
    OriginOptions opts = options();
    opts.presign_expiry = std::chrono::seconds(1);
    std::string url = make_origin(opts)->public_url("ep1.mp3");
    std::this_thread::sleep_for(2100ms);
    auto response = browser_get(url);
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 403);
    EXPECT_NE(response->body.find("Request has expired"), std::string::npos) << response->body;
}

class S3OriginWithSessionToken : public S3Origin {
protected:
    S3OriginWithSessionToken() : S3Origin({"--session-token", "FwoGZXIvYXdzEXAMPLE//token=="}) {}
};

TEST_F(S3OriginWithSessionToken, TokenIsSentAndSigned) {
    OriginOptions opts = options();
    opts.s3_session_token = "FwoGZXIvYXdzEXAMPLE//token==";
    auto origin = make_origin(opts);
    Fetched got = fetch_to_file(*origin, "ep1.mp3");
    EXPECT_EQ(got.result.status, FetchStatus::ok) << got.result.message << "\n" << fake_.log();
    auto response = browser_get(origin->public_url("ep1.mp3"));
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 200) << response->body;
}

TEST_F(S3OriginWithSessionToken, MissingTokenIsRefused) {
    Fetched got = fetch_to_file(*make_origin(options()), "ep1.mp3");
    EXPECT_EQ(got.result.status, FetchStatus::refused);
    EXPECT_NE(got.result.message.find("InvalidToken"), std::string::npos) << got.result.message;
}

}  // namespace
