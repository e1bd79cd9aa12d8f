#pragma once
// HTTPS in the integration tests: a certificate made at test time with the
// openssl command, and the switch that runs the serving suites over TLS.
//
// CACHE_TIER_TEST_TLS=1 (the integration_tls.* tests): every CacheTierServer
// also listens for HTTPS and its port() is that listener, so a suite's
// requests (ct_test::Connection, http_get) go over TLS unchanged. A port is
// spoken to over TLS exactly when a server registered it here.
#include <filesystem>
#include <string>

namespace ct_test {

namespace fs = std::filesystem;

struct TestCertificate {
    fs::path certificate;  // self-signed, CN and subjectAltName `name`, 127.0.0.1
    fs::path key;
};

// A new certificate and key in `dir` (files <stem>.pem, <stem>.key): an EC
// P-256 key, or `key_type` as openssl req -newkey takes it ("rsa:2048").
TestCertificate make_certificate(const fs::path& dir, const std::string& stem, const std::string& name = "localhost",
                                 const std::string& key_type = "ec");
// The one this process's TLS-mode servers use (made on first call).
const TestCertificate& shared_certificate();

// The serving suites run over TLS (CACHE_TIER_TEST_TLS=1).
bool tls_mode();
void register_tls_port(int port);
bool is_tls_port(int port);

}  // namespace ct_test
