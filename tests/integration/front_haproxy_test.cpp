// The HAProxy recipe (deploy/haproxy.cfg) as shipped, with only the nodes'
// addresses and the bind port replaced: three cache-tier nodes behind Debian's
// HAProxy, consistent hashing on the file name, health checks on /healthz.
#include <gtest/gtest.h>

#include <memory>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "support/http_client.hpp"
#include "support/process.hpp"
#include "support/serve_helpers.hpp"

namespace {

using namespace ct_test;

constexpr int kNodes = 3;
constexpr int kFiles = 24;

std::string file_name(int i) { return "show/ep" + std::to_string(i) + ".mp3"; }
std::string file_body(int i) { return random_bytes(3000 + static_cast<std::size_t>(i), static_cast<unsigned>(i) + 11); }

class FrontHaproxy : public ::testing::Test {
protected:
    void SetUp() override {
        for (int i = 0; i < kFiles; ++i) write_file(origin_.path() / file_name(i), file_body(i));
        for (int n = 0; n < kNodes; ++n) {
            logs_[n] = logs_dir_.path() / ("node" + std::to_string(n) + ".log");
            nodes_[n] = std::make_unique<CacheTierServer>(
                caches_[n].path(), std::vector<std::string>{"--origin", "file://" + origin_.path().string(),
                                                            "--access-log", logs_[n].string()});
        }
        std::string cfg = read_file(fs::path(CACHE_TIER_SOURCE_DIR) / "deploy/haproxy.cfg");
        port_ = free_port();
        ASSERT_NE(cfg.find("    bind :80\n"), std::string::npos) << "the shipped frontend's bind line moved";
        cfg.replace(cfg.find("    bind :80\n"), 12, "    bind 127.0.0.1:" + std::to_string(port_) + "\n");
        for (int n = 0; n < kNodes; ++n) {
            std::regex line("server node" + std::to_string(n + 1) + R"( 10\.0\.0\.\d+:8080)");
            std::string replaced = std::regex_replace(
                cfg, line, "server node" + std::to_string(n + 1) + " 127.0.0.1:" + std::to_string(nodes_[n]->port()));
            ASSERT_NE(replaced, cfg) << "the shipped backend has no line for node" << n + 1;
            cfg = replaced;
        }
        // Health checks every 200 ms instead of HAProxy's default 2 s, so the test sees them soon.
        cfg = std::regex_replace(cfg, std::regex(R"((server node\d [^\n]* check))"), "$1 inter 200ms");
        write_file(dir_.path() / "haproxy.cfg", cfg);
        std::string out;
        ASSERT_EQ(run_command({"haproxy", "-c", "-q", "-f", (dir_.path() / "haproxy.cfg").string()}, &out), 0) << out;
        haproxy_ = std::make_unique<Process>(
            std::vector<std::string>{"haproxy", "-db", "-f", (dir_.path() / "haproxy.cfg").string()}, dir_.path());
        ASSERT_TRUE(wait_for_port(port_, 10s)) << haproxy_->stderr_text();
    }

    std::set<int> holders(int i) const {
        std::set<int> on;
        for (int n = 0; n < kNodes; ++n)
            if (fs::exists(caches_[n].path() / file_name(i))) on.insert(n);
        return on;
    }

    TempDir origin_, logs_dir_, dir_;
    TempDir caches_[kNodes];
    fs::path logs_[kNodes];
    std::unique_ptr<CacheTierServer> nodes_[kNodes];
    int port_ = 0;
    std::unique_ptr<Process> haproxy_;
};

TEST_F(FrontHaproxy, EachFileLivesOnOneNodeForEveryEndpoint) {
    std::set<int> used;
    for (int i = 0; i < kFiles; ++i) {
        const std::string name = file_name(i);
        ASSERT_TRUE(eventually([&] {
            auto r = http_get(port_, "/verify/" + name);
            return r && r->status == 200 && r->body.find("\"available\":true") != std::string::npos;
        }, 15s, 100ms)) << name << " never became available through HAProxy";
        auto file = http_get(port_, "/static/files_cache/" + name);
        ASSERT_TRUE(file);
        EXPECT_EQ(file->status, 200);
        EXPECT_EQ(file->body, file_body(i)) << name;
        auto download = http_get(port_, "/download/" + name);
        ASSERT_TRUE(download);
        EXPECT_EQ(download->status, 302);

        auto on = holders(i);
        ASSERT_EQ(on.size(), 1u) << name << " was filled on " << on.size() << " nodes";
        const int home = *on.begin();
        used.insert(home);
        std::string log = read_settled(logs_[home]);
        for (const char* endpoint : {"GET /verify/", "GET /static/files_cache/", "GET /download/"})
            EXPECT_GT(count_lines_containing(log, endpoint + name + " "), 0) << endpoint << name << " missed its node";
    }
    EXPECT_EQ(used.size(), static_cast<std::size_t>(kNodes)) << "consistent hashing left a node without files";
    // HAProxy checks every node on /healthz, and the nodes answer it.
    for (int n = 0; n < kNodes; ++n)
        EXPECT_TRUE(eventually([&] { return count_lines_containing(read_file(logs_[n]), "GET /healthz HTTP/1.0\" 200") > 0; },
                               5s))
            << "node " << n << " saw no health check";
}

}  // namespace
