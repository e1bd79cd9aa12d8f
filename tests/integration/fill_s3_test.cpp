// The real binary filling from a private S3-shaped bucket that checks AWS
// Signature V4 with an independent implementation (botocore, in
// tests/fakes/sigv4_origin.py): the right secret syncs, a wrong one is
// refused and says so, and redirects carry a presigned URL the bucket accepts.
#include <cstdlib>

#include <gtest/gtest.h>

#include "fill_support.hpp"

namespace fill_it {
namespace {

using ct_test::CacheTierServer;
using ct_test::TempDir;

constexpr const char* kAccessKey = "AKIDCACHETIERTEST";
constexpr const char* kSecretKey = "cache-tier-test-secret";

class FillFromS3 : public ::testing::Test {
protected:
    TempDir bucket_root;
    TempDir cache;
    std::string body = ct_test::random_bytes(300000, 17);
    std::unique_ptr<FakeOrigin> bucket;

    void SetUp() override {
        // Only what each test passes may configure the server: nothing from the developer's shell.
        for (const char* name : {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_REGION",
                                 "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_PROFILE"})
            ::unsetenv(name);
        ct_test::write_file(bucket_root / "media/Show/Ep 1.mp3", body);
        bucket = std::make_unique<FakeOrigin>(
            "sigv4_origin.py", bucket_root.path(),
            std::vector<std::string>{"--bucket", "private-bucket", "--access-key", kAccessKey, "--secret-key",
                                     kSecretKey, "--region", "eu-west-1"});
    }

    std::map<std::string, std::string> env(const std::string& secret) const {
        return {{"AWS_ACCESS_KEY_ID", kAccessKey},
                {"AWS_SECRET_ACCESS_KEY", secret},
                {"AWS_REGION", "eu-west-1"},
                {"AWS_ENDPOINT_URL", bucket->base_url()}};
    }
};

TEST_F(FillFromS3, TheRightSecretSyncs) {
    CacheTierServer server(cache.path(), {"--origin", "s3://private-bucket/media"}, env(kSecretKey));
    ASSERT_TRUE(eventually_state(server.port(), "Show/Ep%201.mp3", "cached")) << server_log(server);
    auto copy = ct_test::http_get(server.port(), "/static/files_cache/show/ep%201.mp3");
    ASSERT_TRUE(copy);
    EXPECT_TRUE(copy->body == body) << "the cached copy differs from the bucket's object";
    // The fake bucket logs a request after answering it: on a busy machine, later than a settled read waits.
    const std::string fetch = "GET /private-bucket/media/Show/Ep%201.mp3 200";
    EXPECT_TRUE(ct_test::eventually([&] { return bucket->count_requests(fetch) >= 1; }, 10s));
    EXPECT_EQ(bucket->count_requests(fetch), 1);
}

TEST_F(FillFromS3, AWrongSecretIsRefusedAndReported) {
    CacheTierServer server(cache.path(), {"--origin", "s3://private-bucket/media"}, env("not-the-secret"));
    ASSERT_TRUE(eventually_state(server.port(), "Show/Ep%201.mp3", "failed")) << server_log(server);
    auto json = verify(server.port(), "Show/Ep%201.mp3");
    EXPECT_EQ(json["available"], false);
    EXPECT_EQ(json["error"], true);
    const std::string message = json["error_msg"].get<std::string>();
    EXPECT_NE(message.find("403"), std::string::npos) << message;
    EXPECT_NE(message.find("SignatureDoesNotMatch"), std::string::npos) << message;
    EXPECT_FALSE(fs::exists(cache / "show/ep 1.mp3"));
    EXPECT_TRUE(temp_files(cache.path()).empty());
}

TEST_F(FillFromS3, DownloadOfAMissRedirectsToAPresignedUrlTheBucketAccepts) {
    CacheTierServer server(cache.path(), {"--origin", "s3://private-bucket/media", "--stream-misses", "false"},
                           env(kSecretKey));
    auto redirect = ct_test::http_get(server.port(), "/download/Show/Ep%201.mp3");
    ASSERT_TRUE(redirect);
    EXPECT_EQ(redirect->status, 302);
    const std::string location = redirect->header("Location");
    ASSERT_TRUE(location.starts_with(bucket->base_url() + "/")) << location;
    EXPECT_NE(location.find("X-Amz-Signature="), std::string::npos) << location;

    // A browser following the redirect gets the object. Its Host header names
    // the port, as the signed URL does.
    ct_test::Connection browser(bucket->port());
    ASSERT_TRUE(browser.send("GET " + location.substr(bucket->base_url().size()) + " HTTP/1.1\r\nHost: " +
                             bucket->base_url().substr(std::string("http://").size()) + "\r\n\r\n"));
    auto followed = browser.read_response();
    ASSERT_TRUE(followed);
    EXPECT_EQ(followed->status, 200) << followed->body;
    EXPECT_TRUE(followed->body == body);
}

}  // namespace
}  // namespace fill_it
