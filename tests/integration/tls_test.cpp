// HTTPS served by the binary itself, checked with real TLS clients: curl,
// Python's ssl module and `openssl s_client`, against a certificate made at
// test time. Protocol versions, ALPN, session resumption, certificate reload
// by SIGHUP, the handshake timeout, the redirect of plain HTTP and the ACME
// challenge folder, the access log and the metric, and start-up errors.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <regex>

#include "support/serve_helpers.hpp"
#include "support/tls.hpp"

namespace ct_test {
namespace {

class Tls : public ::testing::Test {
protected:
    void SetUp() override {
        cert_ = make_certificate(certs_.path(), "a", "localhost");
        write_file(cache_.path() / "a.bin", content_);
    }

    // The server with an HTTPS listener on a free port, plus `extra` flags.
    void start(std::vector<std::string> extra = {}) {
        tls_port_ = free_port();
        std::vector<std::string> args = {"--tls-listen", "127.0.0.1:" + std::to_string(tls_port_), "--tls-certificate",
                                         cert_.certificate.string(), "--tls-certificate-key", cert_.key.string()};
        args.insert(args.end(), extra.begin(), extra.end());
        server_ = std::make_unique<CacheTierServer>(cache_.path(), args);
        const std::string said = "HTTPS on 127.0.0.1:" + std::to_string(tls_port_) + ":";
        ASSERT_TRUE(eventually([&] { return log().find(said) != std::string::npos; }, 10s)) << log();
        ASSERT_TRUE(wait_for_port(tls_port_, 5s));
        register_tls_port(tls_port_);
    }

    std::string log() { return server_->process().stderr_text(); }
    std::string url(const std::string& path) const {
        return "https://localhost:" + std::to_string(tls_port_) + path;
    }
    std::string resolve() const { return "localhost:" + std::to_string(tls_port_) + ":127.0.0.1"; }

    // `openssl s_client` with `options`, sending one request that closes the
    // connection (so session tickets are read before it ends); its output.
    std::string s_client(const std::string& options, int* status = nullptr) {
        std::string out;
        const std::string command = "printf 'GET /healthz HTTP/1.1\\r\\nHost: localhost\\r\\nConnection: close\\r\\n\\r\\n' | "
                                    "timeout 20 openssl s_client -connect 127.0.0.1:" + std::to_string(tls_port_) +
                                    " -servername localhost -CAfile " + cert_.certificate.string() + " -ign_eof " +
                                    options + " 2>&1";
        const int rc = run_command({"sh", "-c", command}, &out);
        if (status) *status = rc;
        return out;
    }

    TempDir cache_, certs_;
    TestCertificate cert_;
    const std::string content_ = random_bytes(300000, 7);
    int tls_port_ = 0;
    std::unique_ptr<CacheTierServer> server_;
};

TEST_F(Tls, CurlVerifiesTheCertificateAndGetsTheFileAndARangeOverHttp11) {
    start();
    std::string out;
    const fs::path got = cache_.path() / "got.bin";
    ASSERT_EQ(run_command({"curl", "-sS", "--cacert", cert_.certificate.string(), "--resolve", resolve(), "-o",
                           got.string(), "-w", "%{http_version} %{http_code}", url("/static/files_cache/a.bin")},
                          &out),
              0)
        << out;
    EXPECT_EQ(out, "1.1 200");  // curl offers h2 too: ALPN picks http/1.1
    EXPECT_TRUE(read_file(got) == content_);
    ASSERT_EQ(run_command({"curl", "-sS", "--cacert", cert_.certificate.string(), "--resolve", resolve(), "-r",
                           "1000-1999", url("/static/files_cache/a.bin")},
                          &out),
              0);
    EXPECT_TRUE(out == content_.substr(1000, 1000));
}

TEST_F(Tls, PythonSslVerifiesAndSpeaksTls13And12) {
    start();
    const std::string script = R"(
import http.client, ssl, sys
port, cafile = int(sys.argv[1]), sys.argv[2]
for top in (ssl.TLSVersion.TLSv1_3, ssl.TLSVersion.TLSv1_2):
    ctx = ssl.create_default_context(cafile=cafile)
    ctx.maximum_version = top
    c = http.client.HTTPSConnection("localhost", port, context=ctx)
    c.request("GET", "/static/files_cache/a.bin")
    r = c.getresponse()
    body = r.read()
    print(c.sock.version(), r.status, len(body), c.sock.selected_alpn_protocol())
)";
    std::string out;
    ASSERT_EQ(run_command({CACHE_TIER_PYTHON, "-c", script, std::to_string(tls_port_), cert_.certificate.string()}, &out),
              0)
        << out;
    const std::string size = std::to_string(content_.size());
    EXPECT_EQ(out, "TLSv1.3 200 " + size + " None\nTLSv1.2 200 " + size + " None\n");
}

TEST_F(Tls, OnlyTls12AndTls13AreAccepted) {
    start();
    int status = 0;
    for (const char* old : {"-tls1", "-tls1_1"}) {
        const std::string out = s_client(std::string(old) + " -cipher DEFAULT@SECLEVEL=0", &status);
        EXPECT_NE(status, 0) << old << " was accepted:\n" << out;
        EXPECT_NE(out.find("alert protocol version"), std::string::npos) << old << ":\n" << out;
        EXPECT_EQ(out.find("HTTP/1.1 200"), std::string::npos) << old;
    }
    for (const char* good : {"-tls1_2", "-tls1_3"}) {
        const std::string out = s_client(good, &status);
        EXPECT_EQ(status, 0) << good << "\n" << out;
        EXPECT_NE(out.find("Verify return code: 0 (ok)"), std::string::npos) << good << "\n" << out;
        EXPECT_NE(out.find("HTTP/1.1 200"), std::string::npos) << good << "\n" << out;
    }
}

TEST_F(Tls, AlpnSelectsHttp11AndRefusesAnOfferWithoutIt) {
    start();
    int status = 0;
    std::string out = s_client("-alpn h2,http/1.1", &status);
    EXPECT_NE(out.find("ALPN protocol: http/1.1"), std::string::npos) << out;
    // As nginx: a client that speaks only h2 gets the no_application_protocol alert.
    out = s_client("-alpn h2", &status);
    EXPECT_NE(status, 0) << out;
    EXPECT_NE(out.find("no application protocol"), std::string::npos) << out;
}

TEST_F(Tls, SessionsResumeFromTicketsWithTls12AndTls13) {
    start();
    for (const std::string version : {"-tls1_2", "-tls1_3"}) {
        const fs::path session = certs_.path() / ("session" + version);
        const std::string first = s_client(version + " -sess_out " + session.string());
        EXPECT_NE(first.find("New, TLSv1."), std::string::npos) << first;
        const std::string second = s_client(version + " -sess_in " + session.string());
        EXPECT_NE(second.find("Reused, TLSv1."), std::string::npos) << version << ":\n" << second;
    }
}

// SIGHUP: a new pair for new connections, the open keep-alive connection
// undisturbed, and a bad pair refused with the reason while the good stays.
TEST_F(Tls, SighupReloadsTheCertificateAndABadOneKeepsTheOld) {
    start();
    Connection open(tls_port_);
    ASSERT_TRUE(open.send(make_request("GET", "/healthz")));
    ASSERT_TRUE(open.read_response());
    EXPECT_NE(s_client("").find("subject=CN = localhost"), std::string::npos);

    const TestCertificate second = make_certificate(certs_.path(), "b", "second.test");
    fs::copy_file(second.certificate, cert_.certificate, fs::copy_options::overwrite_existing);
    fs::copy_file(second.key, cert_.key, fs::copy_options::overwrite_existing);
    ASSERT_EQ(::kill(server_->process().pid(), SIGHUP), 0);
    ASSERT_TRUE(eventually([&] { return log().find("TLS certificate reloaded") != std::string::npos; }, 5s)) << log();
    EXPECT_NE(s_client("").find("subject=CN = second.test"), std::string::npos);
    ASSERT_TRUE(open.send(make_request("GET", "/static/files_cache/a.bin")));
    auto still = open.read_response();
    ASSERT_TRUE(still) << "the connection made before the reload was dropped";
    EXPECT_TRUE(still->body == content_);

    write_file(cert_.key, "not a key\n");
    ASSERT_EQ(::kill(server_->process().pid(), SIGHUP), 0);
    ASSERT_TRUE(eventually([&] { return log().find("TLS certificate not reloaded") != std::string::npos; }, 5s))
        << log();
    EXPECT_NE(log().find(cert_.key.string() + ": not a PEM private key"), std::string::npos) << log();
    EXPECT_NE(s_client("").find("subject=CN = second.test"), std::string::npos);
    EXPECT_TRUE(server_->process().running());
}

// A raw TCP connection to the HTTPS port, not speaking TLS itself.
int connect_raw(int port) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    ::inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
    EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    return fd;
}

// Seconds until the server closes `fd` (reading and dropping what comes), or -1 after `limit`.
double seconds_until_closed(int fd, std::chrono::seconds limit) {
    const auto start = std::chrono::steady_clock::now();
    while (std::chrono::steady_clock::now() - start < limit) {
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, 100) <= 0) continue;
        char buf[4096];
        if (::recv(fd, buf, sizeof buf, 0) <= 0)
            return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    }
    return -1;
}

TEST_F(Tls, AHandshakeThatNeverStartsOrStallsIsClosedAfterTheHeaderTimeout) {
    write_file(certs_.path() / "config.json", R"({"header_timeout": 2, "keepalive_timeout": 60})");
    start({"--config", (certs_.path() / "config.json").string()});
    const int silent = connect_raw(tls_port_);
    const int stalled = connect_raw(tls_port_);
    // The first bytes of a ClientHello record, and nothing more.
    const std::string partial("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11);
    ASSERT_EQ(::send(stalled, partial.data(), partial.size(), MSG_NOSIGNAL), static_cast<ssize_t>(partial.size()));
    const double silent_after = seconds_until_closed(silent, 30s);
    const double stalled_after = seconds_until_closed(stalled, 30s);
    EXPECT_GE(silent_after, 0) << "a connection that never said hello was kept open\n" << log();
    EXPECT_LT(silent_after, 15);  // 2 s of timeout, checked once a second, on a busy machine
    EXPECT_GE(stalled_after, 0) << "a handshake stalled halfway was kept open";
    ::close(silent);
    ::close(stalled);
    EXPECT_TRUE(server_answers(server_->process(), server_->port()));
}

TEST_F(Tls, PlainHttpRedirectsToHttpsButServesAcmeChallenges) {
    TempDir acme;
    write_file(acme.path() / "tok-EN_9", "tok-EN_9.thumbprint");
    write_file(cache_.path() / "outside", "secret");
    start({"--http-redirect-to-https", "true", "--acme-challenge-dir", acme.path().string()});
    const int plain = server_->port();

    Connection asks(plain);
    ASSERT_TRUE(asks.send("GET /static/files_cache/a.bin?x=1&y=\"<a>\" HTTP/1.1\r\nHost: example.com:8080\r\n\r\n"));
    auto moved = asks.read_response();
    ASSERT_TRUE(moved);
    EXPECT_EQ(moved->status, 301);
    EXPECT_EQ(moved->header("Location"), "https://example.com:" + std::to_string(tls_port_) +
                                             "/static/files_cache/a.bin?x=1&y=%22%3Ca%3E%22");
    Connection bad_host(plain);
    ASSERT_TRUE(bad_host.send("GET / HTTP/1.1\r\nHost: evil.com/\"x\r\n\r\n"));
    auto refused = bad_host.read_response();
    ASSERT_TRUE(refused);
    EXPECT_EQ(refused->status, 400);
    EXPECT_FALSE(refused->has_header("Location"));

    auto challenge = http_get(plain, "/.well-known/acme-challenge/tok-EN_9");
    ASSERT_TRUE(challenge);
    EXPECT_EQ(challenge->status, 200);
    EXPECT_EQ(challenge->body, "tok-EN_9.thumbprint");
    for (const char* token : {"missing", "..%2Foutside", "../outside", "tok.EN", "%2e%2e"}) {
        auto r = http_get(plain, std::string("/.well-known/acme-challenge/") + token);
        ASSERT_TRUE(r);
        EXPECT_EQ(r->status, 404) << token;
        EXPECT_EQ(r->body.find("secret"), std::string::npos) << token;
    }
    // Over HTTPS the site itself answers.
    auto served = http_get(tls_port_, "/static/files_cache/a.bin");
    ASSERT_TRUE(served);
    EXPECT_EQ(served->status, 200);
}

TEST_F(Tls, RequestsOverTlsAreLoggedAndTheListenerIsInTheMetrics) {
    const fs::path access = cache_.path() / "access.log";
    start({"--access-log", access.string()});
    auto r = http_get(tls_port_, "/static/files_cache/a.bin?logged");
    ASSERT_TRUE(r);
    ASSERT_TRUE(eventually([&] { return read_file(access).find("?logged") != std::string::npos; }, 5s));
    EXPECT_NE(read_file(access).find("\"GET /static/files_cache/a.bin?logged HTTP/1.1\" 200 " +
                                     std::to_string(content_.size())),
              std::string::npos)
        << read_file(access);

    auto metrics = http_get(tls_port_, "/metrics");
    ASSERT_TRUE(metrics);
    std::smatch m;
    const std::regex line("cache_tier_tls_listener_info\\{listen=\"127\\.0\\.0\\.1:" + std::to_string(tls_port_) +
                          "\",ktls=\"([01])\"\\} 1\n");
    ASSERT_TRUE(std::regex_search(metrics->body, m, line)) << metrics->body;
    // The start log says the same path the metric shows.
    EXPECT_NE(log().find(m[1] == "1" ? "kernel TLS (SSL_sendfile)" : "SSL_write from a 16 KiB buffer"),
              std::string::npos)
        << log();
}

TEST_F(Tls, BadSettingsStopTheStartWithWhatIsWrongAndWhere) {
    const TestCertificate other = make_certificate(certs_.path(), "other", "other.test");
    const std::string cache = cache_.path().string();
    const std::string listen = "127.0.0.1:" + std::to_string(free_port());
    struct Case {
        std::vector<std::string> args;
        std::string says;
    };
    const std::vector<Case> cases = {
        {{"--tls-listen", listen}, "tls_listen: set, but tls_certificate is not"},
        {{"--tls-listen", listen, "--tls-certificate", cert_.certificate.string()}, "tls_certificate_key is not"},
        {{"--tls-listen", listen, "--tls-certificate", "/nonexistent/cert.pem", "--tls-certificate-key",
          cert_.key.string()},
         "tls_certificate /nonexistent/cert.pem: No such file or directory"},
        {{"--tls-listen", listen, "--tls-certificate", cert_.key.string(), "--tls-certificate-key", cert_.key.string()},
         "tls_certificate " + cert_.key.string() + ": not a PEM certificate"},
        {{"--tls-listen", listen, "--tls-certificate", cert_.certificate.string(), "--tls-certificate-key",
          other.key.string()},
         "tls_certificate_key " + other.key.string() + " does not match tls_certificate"},
        {{"--tls-listen", "localhost"}, "--tls-listen: expected HOST:PORT"},
        {{"--http-redirect-to-https", "true"}, "http_redirect_to_https: set, but there is no tls_listen"},
        {{"--tls-certificate", cert_.certificate.string()}, "tls_certificate: set, but no tls_listen"},
        {{"--acme-challenge-dir", "/nonexistent"}, "acme_challenge_dir /nonexistent: does not exist"},
    };
    for (const Case& c : cases) {
        std::vector<std::string> args = {"serve", "--cache-dir", cache};
        args.insert(args.end(), c.args.begin(), c.args.end());
        auto r = run_cache_tier(args);
        EXPECT_EQ(r.status, 2) << c.says << "\n" << r.err;
        EXPECT_NE(r.err.find(c.says), std::string::npos) << "expected: " << c.says << "\ngot: " << r.err;
    }
}

}  // namespace
}  // namespace ct_test
