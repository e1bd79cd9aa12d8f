// The real binary filling from s3rver (npm, pinned in tests/fakes/package.json),
// an S3-compatible store: the S3 API's shape (path-style keys, XML errors,
// ETags, presigned URLs) from an implementation we did not write. s3rver
// checks only the access key id of a V4 signature, never the signature
// itself; fill_s3_test.cpp covers signature checking against botocore.
#include <cstdlib>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>

#include <gtest/gtest.h>

#include "fill_support.hpp"

namespace fill_it {
namespace {

using ct_test::CacheTierServer;
using ct_test::TempDir;

// s3rver's built-in account: the only access key it knows.
constexpr const char* kS3rverKey = "S3RVER";
constexpr const char* kBucket = "media-bucket";

// s3rver started by node on a port it picks, storing buckets under a temp dir.
// Each response it sends is one line of its output, but that line is cut: its
// logger drops the first 16 characters of "  --> GET /path", i.e. the method
// and the first 6 characters of the path. Tests count lines by the end of the
// key and the status ("Ep%201.MP3 304").
class S3rver {
public:
    explicit S3rver(const std::string& bucket) {
        const fs::path script = fs::path(CACHE_TIER_SOURCE_DIR) / "tests/fakes/node_modules/s3rver/bin/s3rver.js";
        if (!fs::exists(script))
            throw std::runtime_error("s3rver is not installed (" + script.string() +
                                     " is missing): run scripts/install-deps.sh, or `npm ci` in tests/fakes");
        // --configure-bucket takes configuration files after the name: keep it last.
        proc_ = std::make_unique<ct_test::Process>(
            std::vector<std::string>{"node", script.string(), "--directory", data_.path().string(), "--address",
                                     "127.0.0.1", "--port", "0", "--configure-bucket", bucket},
            logs_.path());
        const std::string banner = "S3rver listening on 127.0.0.1:";
        const bool started = ct_test::eventually(
            [&] { return proc_->stdout_text().find(banner) != std::string::npos || !proc_->running(); }, 20s);
        const std::string out = proc_->stdout_text();
        const auto at = out.find(banner);
        if (!started || at == std::string::npos)
            throw std::runtime_error("node did not start s3rver (is node installed?): " + out + proc_->stderr_text());
        port_ = std::atoi(out.c_str() + at + banner.size());
        bucket_ = bucket;
    }

    ~S3rver() { proc_->stop(SIGTERM, 5s); }

    std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }
    int port() const { return port_; }

    // Store an object through the S3 API, as an anonymous request (s3rver does
    // not require a signature). Requests counted later are those after this one.
    void put(const std::string& encoded_key, const std::string& body) {
        ct_test::Connection connection(port_);
        ASSERT_TRUE(connection.send("PUT /" + bucket_ + "/" + encoded_key + " HTTP/1.1\r\nHost: 127.0.0.1:" +
                                    std::to_string(port_) + "\r\nContent-Type: application/octet-stream\r\n" +
                                    "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body));
        auto response = connection.read_response();
        ASSERT_TRUE(response) << log();
        ASSERT_EQ(response->status, 200) << response->body;
        const std::string logged = last_segment(encoded_key) + " 200 ";
        ASSERT_TRUE(ct_test::eventually([&] { return count_requests(logged) > 0; }, 5s)) << log();
        counted_from_ = proc_->stdout_text().size();
    }

    // Responses since the last put whose log line contains `needle`.
    int count_requests(const std::string& needle) const {
        return ct_test::count_lines_containing(ct_test::read_settled(proc_->stdout_path()).substr(counted_from_), needle);
    }

    std::string log() const { return proc_->stdout_text() + proc_->stderr_text(); }

private:
    static std::string last_segment(const std::string& key) { return key.substr(key.rfind('/') + 1); }

    TempDir data_;
    TempDir logs_;
    std::unique_ptr<ct_test::Process> proc_;
    int port_ = 0;
    std::string bucket_;
    std::size_t counted_from_ = 0;
};

class FillFromS3rver : public ::testing::Test {
protected:
    TempDir cache;
    std::unique_ptr<S3rver> store;
    // A key with '/', spaces and mixed case; the local copy's name is lower case.
    const std::string key = "Show%20One/Ep%201.MP3";
    const std::string local_copy = "/static/files_cache/show%20one/ep%201.mp3";
    const std::string body = ct_test::random_bytes(300000, 23);

    void SetUp() override {
        store = std::make_unique<S3rver>(kBucket);
        store->put("library/Show%20One/Cover.JPG", ct_test::random_bytes(1000, 24));
        store->put("library/" + key, body);
    }

    // Everything the server reads of its environment; what must be unset is "".
    std::map<std::string, std::string> env(const std::string& access_key = kS3rverKey) const {
        return {{"AWS_ACCESS_KEY_ID", access_key},       {"AWS_SECRET_ACCESS_KEY", "S3RVER"},
                {"AWS_SESSION_TOKEN", ""},               {"AWS_REGION", "us-east-1"},
                {"AWS_ENDPOINT_URL", store->endpoint()}, {"AWS_ENDPOINT_URL_S3", ""}};
    }

    std::unique_ptr<CacheTierServer> serve(std::vector<std::string> flags = {},
                                           const std::string& access_key = kS3rverKey) {
        flags.insert(flags.begin(), {"--origin", std::string("s3://") + kBucket + "/library"});
        return std::make_unique<CacheTierServer>(cache.path(), flags, env(access_key));
    }
};

TEST_F(FillFromS3rver, APresentKeyFillsWithTheSameBytes) {
    auto server = serve();
    ASSERT_TRUE(eventually_state(server->port(), key, "cached")) << server_log(*server) << store->log();
    EXPECT_EQ(verify(server->port(), key)["available"], true);
    auto copy = ct_test::http_get(server->port(), local_copy);
    ASSERT_TRUE(copy);
    EXPECT_EQ(copy->status, 200);
    EXPECT_TRUE(copy->body == body) << "the cached copy differs from the stored object";
    EXPECT_EQ(store->count_requests("/Show%20One/Ep%201.MP3 200 "), 1) << store->log();
}

TEST_F(FillFromS3rver, AMissingKeyIsReportedAndRememberedForTheNegativeCacheTime) {
    auto server = serve({"--negative-cache-time", "3600"});
    const std::string missing = "Show%20One/Ep%202.MP3";
    ASSERT_TRUE(eventually_state(server->port(), missing, "not_found")) << server_log(*server) << store->log();
    auto json = verify(server->port(), missing);
    EXPECT_EQ(json["available"], false);
    EXPECT_EQ(json["error"], true);
    const std::string message = json["error_msg"].is_string() ? json["error_msg"].get<std::string>() : json.dump();
    // The origin's status, its S3 error code and the key it was asked for.
    EXPECT_NE(message.find("404"), std::string::npos) << message;
    EXPECT_NE(message.find("NoSuchKey"), std::string::npos) << message;
    EXPECT_NE(message.find("Show One/Ep 2.MP3"), std::string::npos) << message;
    for (int i = 0; i < 20; ++i) verify(server->port(), missing);
    EXPECT_EQ(store->count_requests("Ep%202.MP3 404 "), 1) << store->log();
    EXPECT_TRUE(temp_files(cache.path()).empty());
}

// s3rver knows one access key id and refuses others, as S3 does.
TEST_F(FillFromS3rver, AnUnknownAccessKeyIsRefusedAndReported) {
    auto server = serve({}, "AKIDNOTKNOWNHERE");
    ASSERT_TRUE(eventually_state(server->port(), key, "failed")) << server_log(*server) << store->log();
    auto json = verify(server->port(), key);
    EXPECT_EQ(json["available"], false);
    const std::string message = json["error_msg"].is_string() ? json["error_msg"].get<std::string>() : json.dump();
    EXPECT_NE(message.find("403"), std::string::npos) << message;
    EXPECT_NE(message.find("InvalidAccessKeyId"), std::string::npos) << message;
}

TEST_F(FillFromS3rver, DownloadOfAMissRedirectsToAPresignedUrlTheStoreServes) {
    auto server = serve({"--stream-misses", "false"});  // to the origin, as the original did
    auto redirect = ct_test::http_get(server->port(), "/download/" + key);
    ASSERT_TRUE(redirect);
    EXPECT_EQ(redirect->status, 302);
    const std::string location = redirect->header("Location");
    const std::string object_url = store->endpoint() + "/" + kBucket + "/library/" + key + "?";
    ASSERT_TRUE(location.starts_with(object_url)) << location;
    EXPECT_NE(location.find("X-Amz-Signature="), std::string::npos) << location;

    // Followed as a browser does: the Host header names the port, as the URL does.
    ct_test::Connection browser(store->port());
    ASSERT_TRUE(browser.send("GET " + location.substr(store->endpoint().size()) +
                             " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(store->port()) + "\r\n\r\n"));
    auto followed = browser.read_response();
    ASSERT_TRUE(followed);
    EXPECT_EQ(followed->status, 200) << followed->body;
    EXPECT_TRUE(followed->body == body) << "the presigned URL served other bytes";
}

// s3rver answers 304 on an exact If-None-Match. (Its If-Modified-Since check
// compares with the file's millisecond mtime, so a second-precision date
// almost never matches: the 304 comes from the ETag.)
TEST_F(FillFromS3rver, RevalidationAfterARestartGets304) {
    {
        auto first = serve();
        ASSERT_TRUE(eventually_state(first->port(), key, "cached")) << server_log(*first) << store->log();
        EXPECT_EQ(first->process().stop(SIGTERM), 0);
    }
    auto second = serve({"--revalidate-after", "1"});
    // Stale after a second; every verify of a stale copy revalidates it in the background.
    ASSERT_TRUE(ct_test::eventually(
        [&] {
            EXPECT_EQ(verify(second->port(), key)["available"], true);
            return store->count_requests("/Show%20One/Ep%201.MP3 304 ") > 0;
        },
        10s, 200ms))
        << store->log() << server_log(*second);
    EXPECT_EQ(store->count_requests("/Show%20One/Ep%201.MP3 200 "), 1) << store->log();
    auto copy = ct_test::http_get(second->port(), local_copy);
    ASSERT_TRUE(copy);
    EXPECT_TRUE(copy->body == body);
}

}  // namespace
}  // namespace fill_it
