// The C++ client and the `verify`/`url` commands against real `cache-tier
// serve` processes. Server requests are counted in each server's access log.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "cache_tier/client.hpp"
#include "client/cluster.hpp"
#include "support/process.hpp"
#include "support/serve_helpers.hpp"
#include "unit/client/canned_server.hpp"

namespace {

using namespace std::chrono_literals;
using cache_tier::Client;
using cache_tier::ClientOptions;
using ct_test::fs::path;

// One `cache-tier serve` node: its own cache directory and access log.
class Node {
public:
    explicit Node(const path& origin)
        : server_(std::make_unique<ct_test::CacheTierServer>(
              cache_.path(), std::vector<std::string>{"--origin", "file://" + origin.string(), "--access-log",
                                                      (logs_.path() / "access.log").string()})) {}

    std::string base_url() const { return server_->base_url(); }
    int port() const { return server_->port(); }
    void kill() { server_->process().kill9(); }

    // GET /verify/<encoded_name> requests in the access log (request line exact).
    int verify_requests(const std::string& encoded_name) const {
        const std::string needle = "\"GET /verify/" + encoded_name + " HTTP/1.1\"";
        return ct_test::count_lines_containing(ct_test::read_file(logs_.path() / "access.log"), needle);
    }

    // Makes the access log complete up to now: a request sent after every
    // earlier answer arrived, and waited for in the log.
    void settle_log() {
        const std::string sentinel = "settle-" + std::to_string(++settles_);
        ASSERT_TRUE(ct_test::http_get(port(), "/verify/" + sentinel));
        ASSERT_TRUE(ct_test::eventually([&] { return verify_requests(sentinel) == 1; }, 5s));
        std::this_thread::sleep_for(50ms);  // lines of answers sent just before
    }

private:
    ct_test::TempDir cache_, logs_;
    std::unique_ptr<ct_test::CacheTierServer> server_;
    int settles_ = 0;
};

class ClientAgainstServer : public ::testing::Test {
protected:
    void add_origin_file(const std::string& name) { ct_test::write_file(origin_.path() / name, "bytes of " + name); }

    ct_test::TempDir origin_;
};

ClientOptions with_cache(std::chrono::milliseconds window) {
    ClientOptions options;
    options.local_cache_time = window;
    return options;
}

ClientOptions without_cache() {
    ClientOptions options;
    options.enable_local_cache = false;
    return options;
}

TEST_F(ClientAgainstServer, FileBecomesAvailableAndDownloadUrlRedirects) {
    add_origin_file("Show/Episode 1.mp3");
    Node node(origin_.path());
    Client client(node.base_url() + "/", without_cache());
    // The first question starts the fill; the answer comes at once.
    EXPECT_FALSE(client.verify_file("Show/Episode 1.mp3"));
    EXPECT_TRUE(ct_test::eventually([&] { return client.verify_file("Show/Episode 1.mp3"); }, 10s));

    const std::string url = client.build_download_url("Show/Episode 1.mp3");
    EXPECT_EQ(url, node.base_url() + "/download/Show/Episode%201.mp3");
    const auto redirect = ct_test::http_get(node.port(), url.substr(node.base_url().size()));
    ASSERT_TRUE(redirect);
    EXPECT_EQ(redirect->status, 302);
}

TEST_F(ClientAgainstServer, MissingFileIsFalse) {
    Node node(origin_.path());
    Client client(node.base_url(), without_cache());
    EXPECT_FALSE(client.verify_file("not-at-the-origin.mp3"));
    EXPECT_FALSE(client.verify_file("not-at-the-origin.mp3"));
}

TEST_F(ClientAgainstServer, OneServerRequestPerFilePerWindowAcrossClients) {
    add_origin_file("window-a.mp3");
    add_origin_file("window-b.mp3");
    Node node(origin_.path());
    const auto window = with_cache(1500ms);

    Client first(node.base_url(), window);
    first.verify_file("window-a.mp3");
    Client(node.base_url(), window).verify_file("window-a.mp3");  // a client per page request
    Client(node.base_url() + "/", window).verify_file("window-a.mp3");
    first.verify_file("window-a.mp3");
    first.verify_file("window-b.mp3");
    Client(node.base_url(), window).verify_file("window-b.mp3");
    node.settle_log();
    EXPECT_EQ(node.verify_requests("window-a.mp3"), 1);
    EXPECT_EQ(node.verify_requests("window-b.mp3"), 1);
    EXPECT_FALSE(first.is_stale("window-a.mp3"));

    // After the window, the next question goes to the server again, once.
    std::this_thread::sleep_for(1600ms);
    EXPECT_TRUE(first.is_stale("window-a.mp3"));
    Client(node.base_url(), window).verify_file("window-a.mp3");
    first.verify_file("window-a.mp3");
    node.settle_log();
    EXPECT_EQ(node.verify_requests("window-a.mp3"), 2);

    // refresh_status_from_server asks whatever the cache says.
    first.refresh_status_from_server("window-a.mp3");
    node.settle_log();
    EXPECT_EQ(node.verify_requests("window-a.mp3"), 3);
}

TEST_F(ClientAgainstServer, DisabledCacheAsksEveryTime) {
    add_origin_file("every-time.mp3");
    Node node(origin_.path());
    Client client(node.base_url(), without_cache());
    for (int i = 0; i < 5; ++i) client.verify_file("every-time.mp3");
    Client(node.base_url(), without_cache()).verify_file("every-time.mp3");
    node.settle_log();
    EXPECT_EQ(node.verify_requests("every-time.mp3"), 6);
}

TEST_F(ClientAgainstServer, DeadServerGivesFalseWithinTheTimeout) {
    add_origin_file("dead.mp3");
    Node node(origin_.path());
    ClientOptions options = without_cache();
    options.request_timeout = 500ms;
    Client client(node.base_url(), options);
    ASSERT_TRUE(ct_test::eventually([&] { return client.verify_file("dead.mp3"); }, 10s));

    node.kill();
    const auto start = std::chrono::steady_clock::now();
    EXPECT_FALSE(client.verify_file("dead.mp3"));
    EXPECT_FALSE(client.refresh_status_from_server("dead.mp3"));
    EXPECT_FALSE(Client(node.base_url(), options).verify_file("dead.mp3"));
    EXPECT_LT(std::chrono::steady_clock::now() - start, 1500ms);
}

TEST_F(ClientAgainstServer, ThreeNodesFailOverAndKeepEachFileOnOneNode) {
    std::vector<std::string> names;
    for (int i = 0; i < 30; ++i) {
        names.push_back("cluster-" + std::to_string(i) + ".mp3");
        add_origin_file(names.back());
    }
    std::vector<std::unique_ptr<Node>> nodes;
    std::vector<std::string> urls;
    for (int i = 0; i < 3; ++i) {
        nodes.push_back(std::make_unique<Node>(origin_.path()));
        urls.push_back(nodes.back()->base_url());
    }
    const auto ask_all = [&] {
        Client client(urls, without_cache());
        for (const auto& name : names) client.verify_file(name);
    };
    // Which nodes were asked about `name`, with how many requests each.
    const auto asked = [&](const std::string& name) {
        std::map<std::size_t, int> per_node;
        for (std::size_t i = 0; i < nodes.size(); ++i)
            if (int n = nodes[i]->verify_requests(name)) per_node[i] = n;
        return per_node;
    };

    ask_all();
    ask_all();
    std::map<std::size_t, int> files_per_node;
    for (auto& node : nodes) node->settle_log();
    for (const auto& name : names) {
        const std::size_t home = cache_tier::client::node_order(urls, name).front();
        EXPECT_EQ(asked(name), (std::map<std::size_t, int>{{home, 2}})) << name;
        ++files_per_node[home];
    }
    ASSERT_EQ(files_per_node.size(), 3u) << "every node holds some files";

    const std::size_t killed = 1;
    nodes[killed]->kill();
    ask_all();
    ask_all();
    for (std::size_t i = 0; i < nodes.size(); ++i)
        if (i != killed) nodes[i]->settle_log();
    for (const auto& name : names) {
        const auto order = cache_tier::client::node_order(urls, name);
        if (order[0] != killed) {
            // Files of the live nodes did not move.
            EXPECT_EQ(asked(name), (std::map<std::size_t, int>{{order[0], 4}})) << name;
        } else {
            // The killed node's files went to their next node, the same one every time
            // (the killed node's log still holds the two rounds before).
            EXPECT_EQ(asked(name), (std::map<std::size_t, int>{{killed, 2}, {order[1], 2}})) << name;
        }
    }

    // A moved file gets cached on its new node and verifies there.
    const auto moved = std::find_if(names.begin(), names.end(), [&](const std::string& name) {
        return cache_tier::client::node_order(urls, name).front() == killed;
    });
    ASSERT_NE(moved, names.end());
    Client client(urls, without_cache());
    EXPECT_TRUE(ct_test::eventually([&] { return client.verify_file(*moved); }, 10s));
}

// --- the command line --------------------------------------------------------

TEST_F(ClientAgainstServer, VerifyCommandExitCodes) {
    add_origin_file("cli.mp3");
    Node node(origin_.path());
    const auto verify = [&](std::vector<std::string> extra) {
        std::vector<std::string> args{"verify", "cli.mp3", "--server", node.base_url() + "/"};
        args.insert(args.end(), extra.begin(), extra.end());
        return ct_test::run_cache_tier(args);
    };

    const auto first = verify({});
    EXPECT_EQ(first.status, 1) << first.err;
    EXPECT_EQ(first.out, "not available\n");
    EXPECT_TRUE(ct_test::eventually([&] { return verify({}).status == 0; }, 10s));
    const auto cached = verify({});
    EXPECT_EQ(cached.out, "available\n");

    // --json: the server's answer as it came.
    const auto json = verify({"--json"});
    EXPECT_EQ(json.status, 0);
    const auto answer = nlohmann::json::parse(json.out, nullptr, false);
    ASSERT_TRUE(answer.is_object()) << json.out;
    EXPECT_EQ(answer.value("available", false), true) << json.out;
    EXPECT_EQ(answer.value("file", ""), "cli.mp3") << json.out;

    // A name the server refuses, a blank name: errors.
    const auto refused = ct_test::run_cache_tier({"verify", "a/../b", "--server", node.base_url()});
    EXPECT_EQ(refused.status, 2);
    EXPECT_NE(refused.err.find("refused"), std::string::npos) << refused.err;
    EXPECT_EQ(ct_test::run_cache_tier({"verify", " ", "--server", node.base_url()}).status, 2);
    EXPECT_EQ(ct_test::run_cache_tier({"verify", "cli.mp3", "--server", "ftp://x"}).status, 2);
    EXPECT_EQ(ct_test::run_cache_tier({"verify", "cli.mp3"}).status, 2) << "--server is required";

    node.kill();
    const auto dead = verify({});
    EXPECT_EQ(dead.status, 2);
    EXPECT_NE(dead.err.find("no server answered"), std::string::npos) << dead.err;
    EXPECT_EQ(dead.out, "");
}

TEST_F(ClientAgainstServer, VerifyCommandTriesEveryServerAndHonoursTheTimeout) {
    add_origin_file("cli-cluster.mp3");
    Node node(origin_.path());
    cache_tier::client::testing::SilentServer silent;
    const std::string dead = "http://127.0.0.1:" + std::to_string(ct_test::free_port());

    // Whatever the order, the live server answers.
    const auto answered = ct_test::run_cache_tier({"verify", "cli-cluster.mp3", "--server", dead, "--server",
                                                   silent.base_url() + "," + node.base_url(), "--timeout", "0.3"});
    EXPECT_EQ(answered.status, 1) << answered.err;

    const auto start = std::chrono::steady_clock::now();
    const auto slow =
        ct_test::run_cache_tier({"verify", "cli-cluster.mp3", "--server", silent.base_url(), "--timeout", "0.3"});
    EXPECT_EQ(slow.status, 2);
    EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
}

TEST_F(ClientAgainstServer, UrlCommandPrintsTheDownloadUrl) {
    const auto one = ct_test::run_cache_tier({"url", "Show/Ep 1.mp3", "--server", "http://downloads.example.com/"});
    EXPECT_EQ(one.status, 0);
    EXPECT_EQ(one.out, "http://downloads.example.com/download/Show/Ep%201.mp3\n");

    const std::vector<std::string> urls{"http://a.example.com", "http://b.example.com", "http://c.example.com"};
    for (const std::string name : {"one.mp3", "two.mp3", "three.mp3"}) {
        const auto cluster =
            ct_test::run_cache_tier({"url", name, "--server", urls[0], "--server", urls[1], "--server", urls[2]});
        EXPECT_EQ(cluster.status, 0);
        EXPECT_EQ(cluster.out, Client(urls).build_download_url(name) + "\n");
    }
    EXPECT_EQ(ct_test::run_cache_tier({"url", "", "--server", urls[0]}).status, 2);
}

}  // namespace
