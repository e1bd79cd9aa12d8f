// Scaling out: several cache-tier nodes behind Debian's nginx with consistent
// hashing on the file name (deploy/nginx-front.conf's key map). Each file must
// live on one node: its verify, download and static requests all reach it.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "support/http_client.hpp"
#include "support/process.hpp"
#include "support/serve_helpers.hpp"

namespace {

using namespace ct_test;

struct Node {
    TempDir cache;
    fs::path log;
    std::unique_ptr<CacheTierServer> server;
};

class FrontProxy : public ::testing::Test {
protected:
    void SetUp() override {
        for (int i = 0; i < 8; ++i) write_file(origin_.path() / ("ep" + std::to_string(i) + ".mp3"), random_bytes(1000 + i, i));
        std::string upstream = "upstream cache_tier_nodes {\n  hash $cache_tier_key consistent;\n";
        for (int i = 0; i < 2; ++i) {
            auto& node = nodes_[i];
            node.log = logs_.path() / ("node" + std::to_string(i) + ".log");
            node.server = std::make_unique<CacheTierServer>(
                node.cache.path(), std::vector<std::string>{"--origin", "file://" + origin_.path().string(),
                                                            "--access-log", node.log.string()});
            upstream += "  server 127.0.0.1:" + std::to_string(node.server->port()) + ";\n";
        }
        upstream += "}\ninclude " + std::string(CACHE_TIER_SOURCE_DIR) + "/deploy/nginx-cache-tier-key.conf;\n";
        nginx_ = std::make_unique<Nginx>(logs_.path(),
                                         "location / { proxy_pass http://cache_tier_nodes; "
                                         "proxy_http_version 1.1; proxy_set_header Connection \"\"; }",
                                         upstream);
    }

    // Which nodes' access logs mention `needle`.
    std::set<int> nodes_that_saw(const std::string& needle) const {
        std::set<int> seen;
        for (int i = 0; i < 2; ++i)
            if (count_lines_containing(read_settled(nodes_[i].log), needle) > 0) seen.insert(i);
        return seen;
    }

    TempDir origin_, logs_;
    Node nodes_[2];
    std::unique_ptr<Nginx> nginx_;
};

TEST_F(FrontProxy, EachFileLivesOnOneNodeForEveryEndpoint) {
    std::set<int> used;
    for (int i = 0; i < 8; ++i) {
        std::string name = "ep" + std::to_string(i) + ".mp3";
        ASSERT_TRUE(eventually([&] {
            auto r = http_get(nginx_->port(), "/verify/" + name);
            return r && r->status == 200 && r->body.find("\"available\":true") != std::string::npos;
        }, 10s)) << name << " never became available through the proxy";
        auto file = http_get(nginx_->port(), "/static/files_cache/" + name);
        ASSERT_TRUE(file);
        EXPECT_EQ(file->status, 200);
        EXPECT_EQ(file->body, random_bytes(1000 + i, i)) << name;
        auto download = http_get(nginx_->port(), "/download/" + name);
        ASSERT_TRUE(download);
        EXPECT_EQ(download->status, 302);

        // A node logs a request just after its response is sent: give the
        // last lines a moment to land before reading the logs.
        eventually([&] {
            auto v = nodes_that_saw("GET /verify/" + name);
            return v.size() == 1 && nodes_that_saw("GET /download/" + name) == v &&
                   nodes_that_saw("GET /static/files_cache/" + name) == v;
        }, 3s);
        auto verify_nodes = nodes_that_saw("GET /verify/" + name);
        EXPECT_EQ(verify_nodes.size(), 1u) << name << " was verified on several nodes";
        EXPECT_EQ(nodes_that_saw("GET /static/files_cache/" + name), verify_nodes) << name;
        EXPECT_EQ(nodes_that_saw("GET /download/" + name), verify_nodes) << name;
        used.insert(verify_nodes.begin(), verify_nodes.end());
        // Filled once, on that node only.
        for (int n = 0; n < 2; ++n)
            EXPECT_EQ(fs::exists(nodes_[n].cache.path() / name), verify_nodes.count(n) == 1) << name << " on node " << n;
    }
    EXPECT_EQ(used.size(), 2u) << "consistent hashing put all 8 files on one node";
}

}  // namespace
