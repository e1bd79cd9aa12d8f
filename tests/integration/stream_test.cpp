// Serving a file while it fills, against the real binary: Debian's nginx as
// a rate-limited origin (so a fill lasts seconds), the misbehaving fake for an
// origin that breaks mid-body. Every byte leaves the origin once.
#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <future>
#include <thread>

#include <gtest/gtest.h>

#include "fill_support.hpp"

namespace fill_it {
namespace {

using ct_test::CacheTierServer;
using ct_test::Nginx;
using ct_test::TempDir;

// 4 MB/s per connection: an 8 MB file fills in about two seconds.
const std::string kSlowOrigin = "    limit_rate 4m;\n";

// The whole body of GET `target`, read as it comes (up to `timeout`).
std::optional<ct_test::HttpResponse> get_slowly(int port, const std::string& target,
                                                const std::vector<std::string>& headers = {},
                                                std::chrono::milliseconds timeout = 30s) {
    ct_test::Connection c(port);
    if (!c.send(ct_test::make_request("GET", target, headers))) return std::nullopt;
    return c.read_response(false, timeout);
}

class Streaming : public ::testing::Test {
protected:
    TempDir origin, cache;
    std::string body = ct_test::random_bytes(8 << 20, 17);
    void SetUp() override {
        ct_test::write_file(origin / "Show/Big.mp3", body);
        ct_test::set_mtime(origin / "Show/Big.mp3", 1'700'000'000);  // published a while ago
    }
};

TEST_F(Streaming, ADownloadOfAMissStreamsToEveryoneFromOneOriginFetch) {
    Nginx nginx(world_readable(origin.path()), kSlowOrigin);
    CacheTierServer server(cache.path(), {"--origin", nginx.base_url()});

    // The first /download waits for the origin's head, then sends the user to the local path.
    auto download = ct_test::http_get(server.port(), "/download/Show/Big.mp3");
    ASSERT_TRUE(download);
    EXPECT_EQ(download->status, 302);
    EXPECT_EQ(download->header("Location"), "/static/files_cache/show/big.mp3") << server_log(server);

    // While it fills: not available (clients rely on it), but filling.
    auto json = verify(server.port(), "Show/Big.mp3");
    EXPECT_EQ(json["available"], false);
    EXPECT_EQ(json["filling"], true) << json.dump();

    // Ten listeners at once, one of them asking for a range inside what is written.
    std::vector<std::future<std::optional<ct_test::HttpResponse>>> listeners;
    for (int i = 0; i < 10; ++i)
        listeners.push_back(std::async(std::launch::async, [&] { return get_slowly(server.port(), "/static/files_cache/show/big.mp3"); }));
    auto ranged = get_slowly(server.port(), "/static/files_cache/show/big.mp3", {"Range: bytes=100-199"});
    ASSERT_TRUE(ranged);
    EXPECT_EQ(ranged->status, 206);
    EXPECT_EQ(ranged->header("Content-Range"), "bytes 100-199/" + std::to_string(body.size()));
    EXPECT_EQ(ranged->body, body.substr(100, 100));
    // A range near the end waits for its bytes.
    auto tail = get_slowly(server.port(), "/static/files_cache/show/big.mp3", {"Range: bytes=-1000"});
    ASSERT_TRUE(tail);
    EXPECT_EQ(tail->status, 206);
    EXPECT_TRUE(tail->body == body.substr(body.size() - 1000));

    std::string etag_while_filling, last_modified_while_filling;
    for (auto& listener : listeners) {
        auto got = listener.get();
        ASSERT_TRUE(got) << "a listener did not get the whole file";
        EXPECT_EQ(got->status, 200);
        EXPECT_EQ(got->header("Content-Length"), std::to_string(body.size()));
        EXPECT_TRUE(got->body == body) << "a listener got other bytes than the origin's";
        etag_while_filling = got->header("ETag");
        last_modified_while_filling = got->header("Last-Modified");
    }
    ASSERT_TRUE(eventually_state(server.port(), "Show/Big.mp3", "cached")) << server_log(server);
    EXPECT_EQ(nginx.count_requests("GET /Show/Big.mp3"), 1);

    // The copy keeps the validators it was served with while it filled, and the origin's Last-Modified.
    auto cached = ct_test::http_get(server.port(), "/static/files_cache/show/big.mp3");
    ASSERT_TRUE(cached);
    EXPECT_EQ(cached->header("ETag"), etag_while_filling);
    EXPECT_EQ(cached->header("Last-Modified"), last_modified_while_filling);
    struct stat st {};
    ASSERT_EQ(::stat((origin / "Show/Big.mp3").c_str(), &st), 0);
    EXPECT_EQ(cached->header("Last-Modified"), ct_test::http_date(st.st_mtim.tv_sec));
}

TEST_F(Streaming, StreamMissesFalseSendsUsersToTheOriginAsBefore) {
    Nginx nginx(world_readable(origin.path()), kSlowOrigin);
    CacheTierServer server(cache.path(), {"--origin", nginx.base_url(), "--stream-misses", "false"});
    auto download = ct_test::http_get(server.port(), "/download/Show/Big.mp3");
    ASSERT_TRUE(download);
    EXPECT_EQ(download->status, 302);
    EXPECT_EQ(download->header("Location"), nginx.base_url() + "/Show/Big.mp3");
    // And the local path serves the file only once it is whole.
    auto direct = ct_test::http_get(server.port(), "/static/files_cache/show/big.mp3");
    ASSERT_TRUE(direct);
    EXPECT_EQ(direct->status, 404);
}

TEST_F(Streaming, AnOriginTooSlowToAnswerSendsTheUserThereAfterTheWait) {
    FakeOrigin fake("misbehaving_origin.py", origin.path());
    // The origin's head comes after 2 s; /download waits 1 s (the default), no longer.
    CacheTierServer server(cache.path(), {"--origin", fake.base_url() + "/slowhead"});
    const auto asked = std::chrono::steady_clock::now();
    auto download = ct_test::http_get(server.port(), "/download/Show/Big.mp3");
    const auto waited = std::chrono::steady_clock::now() - asked;
    ASSERT_TRUE(download);
    EXPECT_EQ(download->status, 302);
    EXPECT_EQ(download->header("Location").rfind(fake.base_url() + "/slowhead/Show/Big.mp3", 0), 0u)
        << download->header("Location");
    EXPECT_GE(waited, 900ms);
    EXPECT_LT(waited, 2500ms);
}

TEST_F(Streaming, AnOriginFailingMidBodyEndsEveryStreamShortAndCachesNothing) {
    FakeOrigin fake("misbehaving_origin.py", origin.path());
    // Half the file in 64 KB pieces every 50 ms (about 3 s), then a reset.
    CacheTierServer server(cache.path(), {"--origin", fake.base_url() + "/slowreset"});
    auto download = ct_test::http_get(server.port(), "/download/Show/Big.mp3");
    ASSERT_TRUE(download);
    ASSERT_EQ(download->header("Location"), "/static/files_cache/show/big.mp3") << server_log(server);
    ct_test::Connection c(server.port());
    ASSERT_TRUE(c.send(ct_test::make_request("GET", "/static/files_cache/show/big.mp3")));
    std::string received;
    ASSERT_TRUE(ct_test::recv_until(c, "\r\n\r\n", received, 10s));
    EXPECT_NE(received.find("Content-Length: " + std::to_string(body.size())), std::string::npos) << received;
    // The connection ends before the promised length: no client takes a short file for the whole one.
    const std::size_t body_bytes = ct_test::recv_bytes(c, body.size(), nullptr, 20s);
    EXPECT_LT(body_bytes + (received.size() - received.find("\r\n\r\n") - 4), body.size());
    EXPECT_TRUE(c.wait_closed(5s));
    ASSERT_TRUE(eventually_state(server.port(), "Show/Big.mp3", "failed")) << server_log(server);
    EXPECT_FALSE(fs::exists(cache / "show/big.mp3"));
    EXPECT_TRUE(temp_files(cache.path()).empty());
}

TEST_F(Streaming, KilledWhileStreamingLeavesNoPartialFile) {
    Nginx nginx(world_readable(origin.path()), kSlowOrigin);
    {
        CacheTierServer server(cache.path(), {"--origin", nginx.base_url()});
        auto download = ct_test::http_get(server.port(), "/download/Show/Big.mp3");
        ASSERT_TRUE(download);
        ct_test::Connection c(server.port());
        ASSERT_TRUE(c.send(ct_test::make_request("GET", "/static/files_cache/show/big.mp3")));
        std::string head;
        ASSERT_TRUE(ct_test::recv_until(c, "\r\n\r\n", head, 10s));
        server.process().kill9();
    }
    EXPECT_FALSE(fs::exists(cache / "show/big.mp3"));
    CacheTierServer again(cache.path(), {"--origin", nginx.base_url()});
    EXPECT_TRUE(temp_files(cache.path()).empty());
    auto served = ct_test::http_get(again.port(), "/static/files_cache/show/big.mp3");
    ASSERT_TRUE(served);
    EXPECT_EQ(served->status, 404);
}

TEST_F(Streaming, APurgeMidStreamCutsTheStreamAndTheNextVerifyFillsTheNewVersion) {
    Nginx nginx(world_readable(origin.path()), kSlowOrigin);
    TempDir secrets;
    ct_test::write_file(secrets / "token", "stream-test-admin-token-0123456789\n");
    ::chmod((secrets / "token").c_str(), 0600);
    CacheTierServer server(cache.path(), {"--origin", nginx.base_url(), "--admin-token-file",
                                          (secrets / "token").string()});
    auto download = ct_test::http_get(server.port(), "/download/Show/Big.mp3");
    ASSERT_TRUE(download);
    ASSERT_EQ(download->header("Location"), "/static/files_cache/show/big.mp3") << server_log(server);
    ct_test::Connection c(server.port());
    ASSERT_TRUE(c.send(ct_test::make_request("GET", "/static/files_cache/show/big.mp3")));
    std::string received;
    ASSERT_TRUE(ct_test::recv_until(c, "\r\n\r\n", received, 10s));
    const std::size_t head = received.find("\r\n\r\n") + 4;

    // The operator purges it mid-fill; the origin has a new version (renamed
    // in, as a publisher does: nginx finishes the old one for the old fill).
    const std::string newer = ct_test::random_bytes(body.size() / 2, 18);
    ct_test::write_file(origin / "Show/Big.mp3.new", newer);
    fs::rename(origin / "Show/Big.mp3.new", origin / "Show/Big.mp3");
    world_readable(origin.path());
    ct_test::Connection admin(server.port());
    ASSERT_TRUE(admin.send(ct_test::make_request(
        "DELETE", "/admin/files/show/big.mp3", {"Authorization: Bearer stream-test-admin-token-0123456789"})));
    auto purged = admin.read_response(false, 10s);
    ASSERT_TRUE(purged);
    EXPECT_EQ(purged->status, 200) << purged->body;
    // The site asks again at once, while the voided fill may still be running.
    EXPECT_NE(verify(server.port(), "Show/Big.mp3")["available"], true);

    // The reader gets old bytes only, and fewer than its Content-Length.
    ct_test::recv_bytes(c, body.size(), &received, 20s);
    EXPECT_TRUE(c.wait_closed(10s));
    const std::string got = received.substr(head);
    EXPECT_LT(got.size(), body.size());
    EXPECT_EQ(got, body.substr(0, got.size())) << "never a byte of another version";
    // No further request: the verify above was enough (before: it joined the
    // voided fill, and the file was never cached).
    ASSERT_TRUE(ct_test::eventually(
        [&] { return fs::exists(cache / "show/big.mp3") && ct_test::read_file(cache / "show/big.mp3") == newer; },
        30s))
        << server_log(server);
}

}  // namespace
}  // namespace fill_it
