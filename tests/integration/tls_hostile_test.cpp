// The HTTPS listener against what a careless operator or a hostile client
// does, beyond the protocol cases of tls_test.cpp.
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

}  // namespace
}  // namespace ct_test
