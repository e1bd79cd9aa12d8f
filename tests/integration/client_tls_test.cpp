// The clients over https: the C++ library, `cache-tier verify` and the admin
// commands against a real `cache-tier serve` serving TLS itself
// (--tls-listen), and behind Debian's nginx terminating TLS, with
// certificates from a CA made here by openssl. A certificate is accepted only
// when its CA is trusted (--ca-file / ca_file) and it names the host asked
// for; otherwise the error says which server and why, and nothing falls back
// to an unverified connection.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "cache_tier/client.hpp"
#include "support/process.hpp"
#include "support/serve_helpers.hpp"
#include "support/test_ca.hpp"

namespace {

using namespace ct_test;
using cache_tier::Client;
using cache_tier::ClientOptions;

constexpr char kToken[] = "tls-client-token-0123456789";

// Who terminates TLS in front of the clients.
enum class Tls { cache_tier, nginx };

class ClientOverTls : public ::testing::TestWithParam<Tls> {
protected:
    void SetUp() override {
        write_file(origin_.path() / "ep1.mp3", random_bytes(5000));
        token_file_ = secrets_.path() / "token";
        write_file(token_file_, std::string(kToken) + "\n");
        fs::permissions(token_file_, fs::perms::owner_read | fs::perms::owner_write);
        // One listener whose certificate names 127.0.0.1, one whose certificate names another host.
        const auto right = ca_.issue("right", "IP:127.0.0.1");
        const auto wrong = ca_.issue("wrong", "DNS:downloads.example.com");
        right_port_ = free_port();
        wrong_port_ = free_port();
        if (GetParam() == Tls::cache_tier) {
            node_ = start_node(cache_.path(), "node", right, right_port_);
            other_ = start_node(other_cache_.path(), "other", wrong, wrong_port_);
        } else {
            node_ = start_node(cache_.path(), "node", {}, 0);
            ASSERT_NO_FATAL_FAILURE(start_nginx(right, wrong));
        }
        ASSERT_TRUE(wait_for_port(right_port_, 10s));
        ASSERT_TRUE(wait_for_port(wrong_port_, 10s));
    }

    // `cache-tier serve` with its access log, the admin API, and TLS on
    // `tls_port` with `cert` when that is not 0.
    std::unique_ptr<CacheTierServer> start_node(const fs::path& cache, const std::string& name,
                                                const TestCa::Issued& cert, int tls_port) {
        std::vector<std::string> args{"--origin", "file://" + origin_.path().string(), "--admin-token-file",
                                      token_file_.string(), "--access-log", (logs_.path() / (name + ".log")).string()};
        if (tls_port)
            args.insert(args.end(), {"--tls-listen", "127.0.0.1:" + std::to_string(tls_port), "--tls-certificate",
                                     cert.certificate.string(), "--tls-certificate-key", cert.key.string()});
        return std::make_unique<CacheTierServer>(cache, args);
    }

    // nginx terminating TLS in front of the node.
    void start_nginx(const TestCa::Issued& right, const TestCa::Issued& wrong) {
        std::string servers;
        for (const auto& [port, cert] : {std::pair{right_port_, right}, std::pair{wrong_port_, wrong}})
            servers += "server {\n listen 127.0.0.1:" + std::to_string(port) + " ssl;\n ssl_certificate " +
                       cert.certificate.string() + ";\n ssl_certificate_key " + cert.key.string() +
                       ";\n ssl_protocols TLSv1.2 TLSv1.3;\n location / {\n  proxy_pass http://127.0.0.1:" +
                       std::to_string(node_->port()) + ";\n  proxy_buffering off;\n }\n}\n";
        nginx_ = std::make_unique<Nginx>(origin_.path(), "", servers);
    }

    // GET /verify/ requests that reached the node.
    int verify_requests() { return count_lines_containing(read_settled(logs_.path() / "node.log"), "/verify/"); }

    std::string right_url() const { return "https://127.0.0.1:" + std::to_string(right_port_); }
    std::string wrong_name_url() const { return "https://127.0.0.1:" + std::to_string(wrong_port_); }
    std::string ca_file() const { return ca_.ca_file().string(); }

    CommandResult verify(const std::string& server, const std::vector<std::string>& extra = {}) {
        std::vector<std::string> args = {"verify", "ep1.mp3", "--server", server, "--timeout", "10"};
        args.insert(args.end(), extra.begin(), extra.end());
        return run_cache_tier(args, 30s);
    }

    TempDir origin_, cache_, other_cache_, secrets_, logs_;
    fs::path token_file_;
    TestCa ca_;
    std::unique_ptr<CacheTierServer> node_, other_;
    std::unique_ptr<Nginx> nginx_;
    int right_port_ = 0, wrong_port_ = 0;
};

TEST_P(ClientOverTls, VerifyCommandTrustsThePrivateCaItIsGiven) {
    const auto first = verify(right_url(), {"--ca-file", ca_file()});
    EXPECT_EQ(first.status, 1) << first.err;
    EXPECT_EQ(first.out, "not available\n");
    EXPECT_TRUE(eventually([&] { return verify(right_url(), {"--ca-file", ca_file()}).status == 0; }, 20s, 100ms));
    EXPECT_EQ(verify(right_url() + "/", {"--ca-file", ca_file()}).out, "available\n");
}

TEST_P(ClientOverTls, VerifyCommandRefusesACertificateItCannotVerify) {
    // The system's trust store alone does not know the test CA.
    const auto untrusted = verify(right_url());
    EXPECT_EQ(untrusted.status, 2);
    EXPECT_EQ(untrusted.out, "");
    for (const std::string& needle : std::vector<std::string>{right_url(), "TLS certificate not verified", "SSL certificate problem"})
        EXPECT_NE(untrusted.err.find(needle), std::string::npos) << needle << " not in: " << untrusted.err;

    // A trusted CA, but a certificate for another host.
    const auto wrong_name = verify(wrong_name_url(), {"--ca-file", ca_file()});
    EXPECT_EQ(wrong_name.status, 2);
    for (const std::string& needle : std::vector<std::string>{wrong_name_url(), "TLS certificate not verified", "'127.0.0.1'"})
        EXPECT_NE(wrong_name.err.find(needle), std::string::npos) << needle << " not in: " << wrong_name.err;

    // A CA file that is not there: said before any request.
    const auto missing = verify(right_url(), {"--ca-file", (secrets_.path() / "nope.pem").string()});
    EXPECT_EQ(missing.status, 2);
    EXPECT_NE(missing.err.find("nope.pem': No such file"), std::string::npos) << missing.err;
    EXPECT_EQ(verify_requests(), 0) << "no request may reach the server over an unverified connection";
}

TEST_P(ClientOverTls, LibraryVerifiesOverHttpsOnlyWithTheCaAndTheRightName) {
    ClientOptions trusted;
    trusted.ca_file = ca_file();
    trusted.enable_local_cache = false;
    trusted.request_timeout = 10s;
    Client cache(right_url() + "/", trusted);
    EXPECT_TRUE(eventually([&] { return cache.verify_file("ep1.mp3"); }, 20s, 100ms));
    EXPECT_EQ(cache.build_download_url("ep1.mp3"), right_url() + "/download/ep1.mp3");

    // The same file, now cached: false from a server whose certificate does not
    // verify, and the log line names the server and the reason.
    ClientOptions system_store = trusted;
    system_store.ca_file.clear();
    system_store.log_enabled = true;
    system_store.down_node_time = std::chrono::milliseconds::zero();
    ::testing::internal::CaptureStderr();
    const bool untrusted = Client(right_url(), system_store).verify_file("ep1.mp3");
    const std::string untrusted_log = ::testing::internal::GetCapturedStderr();
    EXPECT_FALSE(untrusted);
    EXPECT_NE(untrusted_log.find(right_url() + ": TLS certificate not verified: SSL certificate problem"),
              std::string::npos) << untrusted_log;

    ClientOptions wrong = trusted;
    wrong.log_enabled = true;
    ::testing::internal::CaptureStderr();
    const bool wrong_name = Client(wrong_name_url(), wrong).verify_file("ep1.mp3");
    const std::string wrong_log = ::testing::internal::GetCapturedStderr();
    EXPECT_FALSE(wrong_name);
    EXPECT_NE(wrong_log.find(wrong_name_url() + ": TLS certificate not verified"), std::string::npos) << wrong_log;

    ClientOptions missing;
    missing.ca_file = (secrets_.path() / "nope.pem").string();
    EXPECT_THROW(Client(right_url(), missing), cache_tier::CacheError);
    missing.ca_file = secrets_.path().string();
    EXPECT_THROW(Client(right_url(), missing), cache_tier::CacheError) << "a folder is not a CA file";
}

TEST_P(ClientOverTls, AdminCommandsVerifyTheServerToo) {
    const std::vector<std::string> auth = {"--server", right_url(), "--token-file", token_file_.string()};
    auto args = [&](std::vector<std::string> head, std::vector<std::string> tail) {
        head.insert(head.end(), auth.begin(), auth.end());
        head.insert(head.end(), tail.begin(), tail.end());
        return head;
    };
    const auto warm = run_cache_tier(args({"warm", "ep1.mp3"}, {"--ca-file", ca_file()}), 30s);
    EXPECT_EQ(warm.status, 0) << warm.err;
    EXPECT_TRUE(eventually([&] {
        return run_cache_tier(args({"ls"}, {"--ca-file", ca_file()}), 30s).out.find("ep1.mp3") != std::string::npos;
    }, 20s, 100ms));

    const auto untrusted = run_cache_tier(args({"purge", "ep1.mp3"}, {}), 30s);
    EXPECT_EQ(untrusted.status, 2);
    EXPECT_NE(untrusted.err.find("no answer from " + right_url() + ": TLS certificate not verified"), std::string::npos)
        << untrusted.err;
    EXPECT_TRUE(fs::exists(cache_.path() / "ep1.mp3")) << "the purge must not have been sent";
}

INSTANTIATE_TEST_SUITE_P(Terminators, ClientOverTls, ::testing::Values(Tls::cache_tier, Tls::nginx),
                         [](const auto& info) { return info.param == Tls::cache_tier ? "cache_tier" : "nginx"; });

}  // namespace
