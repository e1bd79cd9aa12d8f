// The HTTPS listener against what a careless operator or a hostile client
// does, beyond the protocol cases of tls_test.cpp: a key with a passphrase, a
// KeyUpdate mid keep-alive.
#include <gtest/gtest.h>

#include "support/serve_helpers.hpp"
#include "support/tls.hpp"

namespace ct_test {
namespace {

// Runs the command after it on a pseudo-terminal, as an operator's shell
// does, and exits with its status (its output comes out on stdout).
const std::vector<std::string> kOnATerminal = {
    "python3", "-c", "import os, pty, sys; sys.exit(os.waitstatus_to_exitcode(pty.spawn(sys.argv[1:])))"};

// A key with a passphrase would have OpenSSL ask for it on the terminal: the
// start (or a SIGHUP reload, on the thread that also takes SIGTERM) would
// wait there for ever. It is refused at once, saying why.
TEST(TlsHostile, AnEncryptedKeyIsRefusedWithoutAskingForItsPassphrase) {
    TempDir cache, certs;
    const TestCertificate cert = make_certificate(certs.path(), "a", "localhost");
    const fs::path encrypted = certs.path() / "encrypted.key";
    std::string out;
    ASSERT_EQ(run_command({"openssl", "pkey", "-in", cert.key.string(), "-aes256", "-passout", "pass:secret", "-out",
                           encrypted.string()},
                          &out),
              0)
        << out;
    auto r = run_cache_tier({"serve", "--cache-dir", cache.path().string(), "--listen",
                             "127.0.0.1:" + std::to_string(free_port()), "--tls-listen",
                             "127.0.0.1:" + std::to_string(free_port()), "--tls-certificate", cert.certificate.string(),
                             "--tls-certificate-key", encrypted.string()},
                            15s, kOnATerminal);
    const std::string said = r.out + r.err;
    EXPECT_EQ(r.status, 2) << "the start waited for a passphrase\n" << said;
    EXPECT_EQ(said.find("pass phrase"), std::string::npos) << said;
    EXPECT_NE(said.find("tls_certificate_key " + encrypted.string() + ": encrypted with a passphrase"),
              std::string::npos)
        << said;
}

// TLS 1.3 KeyUpdate (RFC 8446 §4.6.3) between keep-alive requests, asking
// the server to update its keys too (`K`) and not (`k`): every answer after
// it decrypts with the new keys. Each step waits for the client to have done
// the last one (its output), not for a fixed time.
TEST(TlsHostile, AKeyUpdateBetweenKeepAliveRequestsIsFollowed) {
    TempDir cache, certs;
    const TestCertificate cert = make_certificate(certs.path(), "a", "localhost");
    write_file(cache.path() / "a.txt", "the file\n");
    const int port = free_port();
    CacheTierServer server(cache.path(), {"--tls-listen", "127.0.0.1:" + std::to_string(port), "--tls-certificate",
                                          cert.certificate.string(), "--tls-certificate-key", cert.key.string()});
    ASSERT_TRUE(wait_for_port(port, 10s));
    const fs::path out = certs.path() / "s_client.out";
    const std::string script = R"sh(out=$1; port=$2; ca=$3
: > "$out"
req='GET /static/files_cache/a.txt HTTP/1.1\r\nHost: localhost\r\n\r\n'
seen() { i=0; while [ "$(grep -ac "$1" "$out")" -lt "$2" ] && [ $i -lt 400 ]; do sleep 0.05; i=$((i+1)); done; }
(printf "$req"; seen '^HTTP/1.1 200' 1; echo K; seen KEYUPDATE 1; printf "$req"; seen '^HTTP/1.1 200' 2
 echo k; seen KEYUPDATE 2; printf "$req"; seen '^HTTP/1.1 200' 3) |
  timeout 60 openssl s_client -connect 127.0.0.1:$port -servername localhost -CAfile $ca -tls1_3 > "$out" 2>&1
)sh";
    run_command({"sh", "-c", script, "sh", out.string(), std::to_string(port), cert.certificate.string()});
    const std::string said = read_file(out);
    std::size_t answers = 0, files = 0;
    for (std::size_t at = 0; (at = said.find("HTTP/1.1 200 OK", at)) != std::string::npos; ++at) ++answers;
    for (std::size_t at = 0; (at = said.find("the file\n", at)) != std::string::npos; ++at) ++files;
    EXPECT_EQ(answers, 3u) << said;
    EXPECT_EQ(files, 3u) << said;
    EXPECT_TRUE(server.process().running());
}

}  // namespace
}  // namespace ct_test
