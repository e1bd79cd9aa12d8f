// Scaling out and HTTPS: three cache-tier nodes behind Debian's nginx running
// the shipped site (deploy/nginx-front.conf with its key map), with only the
// nodes' addresses, the ports and the certificate's paths replaced. nginx
// terminates TLS with a certificate made here by openssl, and hashes each file
// to one node: each file is filled on exactly one node, and stopping a node
// moves only that node's files.
#include <gtest/gtest.h>

#include <csignal>
#include <map>
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
constexpr int kFiles = 30;
const std::string kHost = "downloads.example.com";

std::string file_name(int i) { return "ep" + std::to_string(i) + ".mp3"; }
std::string file_body(int i) { return random_bytes(2000 + static_cast<std::size_t>(i) * 37, static_cast<unsigned>(i) + 7); }

// Replace `from` (which must occur) by `to` everywhere in `text`.
void replace_all(std::string& text, const std::string& from, const std::string& to) {
    ASSERT_NE(text.find(from), std::string::npos) << "the shipped site no longer has: " << from;
    for (std::size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
        text.replace(at, from.size(), to);
}

struct Answer {
    int status = 0;
    std::string body;
    std::string location;
};

class FrontProxy : public ::testing::Test {
protected:
    void SetUp() override {
        for (int i = 0; i < kFiles; ++i) write_file(origin_.path() / file_name(i), file_body(i));
        make_certificate();
        write_file(webroot_.path() / ".well-known/acme-challenge/token-1", "challenge-answer");
        for (int i = 0; i < kNodes; ++i) start_node(i);
        http_port_ = free_port();
        https_port_ = free_port();
        ASSERT_NO_FATAL_FAILURE(start_nginx());
    }

    void make_certificate() {
        std::string out;
        int rc = run_command({"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
                              "/CN=" + kHost, "-addext", "subjectAltName=DNS:" + kHost, "-keyout",
                              (certs_.path() / "privkey.pem").string(), "-out",
                              (certs_.path() / "fullchain.pem").string()},
                             &out);
        ASSERT_EQ(rc, 0) << out;
    }

    void start_node(int i) {
        logs_[i] = node_logs_.path() / ("node" + std::to_string(i) + ".log");
        nodes_[i] = std::make_unique<CacheTierServer>(
            caches_[i].path(), std::vector<std::string>{"--origin", "file://" + origin_.path().string(),
                                                        "--access-log", logs_[i].string()});
    }

    // The shipped site, with this test's addresses, ports and paths.
    void start_nginx() {
        std::string site = read_file(fs::path(CACHE_TIER_SOURCE_DIR) / "deploy/nginx-front.conf");
        ASSERT_FALSE(site.empty());
        std::string servers;
        for (int i = 0; i < kNodes; ++i)
            servers += "server 127.0.0.1:" + std::to_string(nodes_[i]->port()) + " max_fails=1 fail_timeout=10s;\n";
        std::smatch m;
        std::regex node_lines(R"((?:[ \t]*server 10\.0\.0\.\d+:8080[^;]*;\n)+)");
        ASSERT_TRUE(std::regex_search(site, m, node_lines)) << "the shipped upstream's node lines moved";
        site.replace(static_cast<std::size_t>(m.position(0)), static_cast<std::size_t>(m.length(0)), servers);
        ASSERT_NO_FATAL_FAILURE(replace_all(site, "listen 80;", "listen 127.0.0.1:" + std::to_string(http_port_) + ";"));
        ASSERT_NO_FATAL_FAILURE(
            replace_all(site, "listen 443 ssl;", "listen 127.0.0.1:" + std::to_string(https_port_) + " ssl;"));
        ASSERT_NO_FATAL_FAILURE(replace_all(site, "/etc/nginx/cache-tier-key.conf",
                                            std::string(CACHE_TIER_SOURCE_DIR) + "/deploy/nginx-cache-tier-key.conf"));
        ASSERT_NO_FATAL_FAILURE(replace_all(site, "/etc/ssl/cache-tier/", certs_.path().string() + "/"));
        ASSERT_NO_FATAL_FAILURE(replace_all(site, "/var/www/letsencrypt", webroot_.path().string()));
        // The shared session cache's zone name is global to the nginx instance: fine here.
        nginx_ = std::make_unique<Nginx>(origin_.path(), "", site);
        ASSERT_TRUE(wait_for_port(https_port_, 10s));
    }

    // A request with curl, verifying the certificate against the one made above.
    Answer fetch(const std::string& url, const std::vector<std::string>& extra = {}) {
        fs::path body = scratch_.path() / "body";
        std::vector<std::string> argv = {"curl", "-sS", "--max-time", "10", "--cacert",
                                         (certs_.path() / "fullchain.pem").string(), "--resolve",
                                         kHost + ":" + std::to_string(https_port_) + ":127.0.0.1", "--resolve",
                                         kHost + ":" + std::to_string(http_port_) + ":127.0.0.1", "-o", body.string(),
                                         "-w", "%{http_code} %{redirect_url}"};
        argv.insert(argv.end(), extra.begin(), extra.end());
        argv.push_back(url);
        std::string out;
        Answer a;
        if (run_command(argv, &out) != 0) {
            a.body = out;
            return a;
        }
        auto space = out.find(' ');
        a.status = std::stoi(out.substr(0, space));
        a.location = space == std::string::npos ? "" : out.substr(space + 1);
        a.body = read_file(body);
        fs::remove(body);
        return a;
    }
    std::string https(const std::string& path) const {
        return "https://" + kHost + ":" + std::to_string(https_port_) + path;
    }
    std::string http(const std::string& path) const {
        return "http://" + kHost + ":" + std::to_string(http_port_) + path;
    }

    // Verify every file through the front until each is available.
    void fill_all_through_front() {
        for (int i = 0; i < kFiles; ++i) fetch(https("/verify/" + file_name(i)));
        for (int i = 0; i < kFiles; ++i)
            ASSERT_TRUE(eventually([&] {
                auto a = fetch(https("/verify/" + file_name(i)));
                return a.status == 200 && a.body.find("\"available\":true") != std::string::npos;
            }, 15s, 100ms)) << file_name(i) << " never became available through the front";
    }

    // The nodes holding a copy of file i.
    std::set<int> holders(int i) const {
        std::set<int> on;
        for (int n = 0; n < kNodes; ++n)
            if (fs::exists(caches_[n].path() / file_name(i))) on.insert(n);
        return on;
    }

    TempDir origin_, certs_, webroot_, node_logs_, scratch_;
    TempDir caches_[kNodes];
    fs::path logs_[kNodes];
    std::unique_ptr<CacheTierServer> nodes_[kNodes];
    int http_port_ = 0, https_port_ = 0;
    std::unique_ptr<Nginx> nginx_;
};

TEST_F(FrontProxy, ServesOverTlsWithTheShippedSite) {
    const std::string name = file_name(3);
    ASSERT_TRUE(eventually([&] {
        auto a = fetch(https("/verify/" + name));
        return a.status == 200 && a.body.find("\"available\":true") != std::string::npos;
    }, 15s, 100ms));
    auto whole = fetch(https("/static/files_cache/" + name));
    EXPECT_EQ(whole.status, 200);
    EXPECT_EQ(whole.body, file_body(3));
    auto part = fetch(https("/static/files_cache/" + name), {"-H", "Range: bytes=100-199"});
    EXPECT_EQ(part.status, 206);
    EXPECT_EQ(part.body, file_body(3).substr(100, 100));
    // /download's redirect is relative, so it stays on https through the front.
    auto download = fetch(https("/download/" + name));
    EXPECT_EQ(download.status, 302);
    EXPECT_EQ(download.location, https("/static/files_cache/" + name));

    // Plain HTTP: 301 to the same URL on https, but certbot's challenge is answered.
    auto plain = fetch(http("/download/" + name));
    EXPECT_EQ(plain.status, 301);
    EXPECT_EQ(plain.location.rfind("https://" + kHost, 0), 0u) << plain.location;
    auto challenge = fetch(http("/.well-known/acme-challenge/token-1"));
    EXPECT_EQ(challenge.status, 200);
    EXPECT_EQ(challenge.body, "challenge-answer");

    // The certificate is checked (an unknown CA fails), and nothing below TLS 1.2 is offered.
    std::string out;
    EXPECT_NE(run_command({"curl", "-sS", "--max-time", "10", "--resolve",
                           kHost + ":" + std::to_string(https_port_) + ":127.0.0.1", https("/")},
                          &out),
              0);
    EXPECT_NE(run_command({"curl", "-sS", "--max-time", "10", "-k", "--tls-max", "1.1", "--resolve",
                           kHost + ":" + std::to_string(https_port_) + ":127.0.0.1", https("/")},
                          &out),
              0)
        << "the front accepted TLS 1.1";
}

TEST_F(FrontProxy, EachFileLivesOnOneNodeAndAStoppedNodeMovesOnlyItsFiles) {
    ASSERT_NO_FATAL_FAILURE(fill_all_through_front());
    std::map<int, int> home;  // file -> node
    std::map<int, int> per_node;
    for (int i = 0; i < kFiles; ++i) {
        auto on = holders(i);
        ASSERT_EQ(on.size(), 1u) << file_name(i) << " was filled on " << on.size() << " nodes";
        home[i] = *on.begin();
        ++per_node[home[i]];
        auto got = fetch(https("/static/files_cache/" + file_name(i)));
        EXPECT_EQ(got.status, 200);
        EXPECT_EQ(got.body, file_body(i)) << file_name(i);
    }
    ASSERT_EQ(per_node.size(), static_cast<std::size_t>(kNodes)) << "consistent hashing left a node without files";
    for (int i = 0; i < kFiles; ++i) {
        // Every endpoint of a file reached its one node.
        std::string log = read_settled(logs_[home[i]]);
        EXPECT_GT(count_lines_containing(log, "GET /static/files_cache/" + file_name(i) + " "), 0) << file_name(i);
    }

    const int stopped = 1;
    ASSERT_TRUE(nodes_[stopped]->process().stop(SIGTERM, 10s).has_value());
    ASSERT_NO_FATAL_FAILURE(fill_all_through_front());
    int moved = 0;
    for (int i = 0; i < kFiles; ++i) {
        auto on = holders(i);
        if (home[i] != stopped) {
            EXPECT_EQ(on, std::set<int>{home[i]}) << file_name(i) << " moved although its node still runs";
        } else {
            on.erase(stopped);
            EXPECT_EQ(on.size(), 1u) << file_name(i) << " of the stopped node was filled on " << on.size()
                                     << " other nodes";
            ++moved;
        }
        auto got = fetch(https("/static/files_cache/" + file_name(i)));
        EXPECT_EQ(got.status, 200) << file_name(i);
        EXPECT_EQ(got.body, file_body(i)) << file_name(i);
    }
    EXPECT_EQ(moved, per_node[stopped]);
}

}  // namespace
