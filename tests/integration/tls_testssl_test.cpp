// testssl.sh (Debian's) against the HTTPS listener, with an RSA certificate
// made at test time (RSA exercises the DHE and RSA-specific checks): the
// protocols, the cipher categories, forward secrecy and the known
// vulnerabilities. No protocol below TLS 1.2, no weak cipher category, no
// finding rated HIGH or CRITICAL. About half a minute; run alone (RUN_SERIAL).
#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>

#include "support/serve_helpers.hpp"
#include "support/tls.hpp"

namespace ct_test {
namespace {

TEST(TlsScan, TestsslFindsNothingWeakOrVulnerable) {
    TempDir cache, certs;
    const TestCertificate cert = make_certificate(certs.path(), "rsa", "localhost", "rsa:2048");
    const int tls_port = free_port();
    CacheTierServer server(cache.path(), {"--tls-listen", "127.0.0.1:" + std::to_string(tls_port), "--tls-certificate",
                                          cert.certificate.string(), "--tls-certificate-key", cert.key.string()});
    ASSERT_TRUE(wait_for_port(tls_port, 10s));

    const fs::path report = certs.path() / "testssl.json";
    std::string out;
    const int status = run_command({"timeout", "280", "testssl", "--protocols", "--std", "--fs", "--vulnerable", "--quiet",
                                    "--color", "0", "--warnings", "off", "--jsonfile", report.string(),
                                    "127.0.0.1:" + std::to_string(tls_port)},
                                   &out);
    ASSERT_EQ(status, 0) << out;
    const auto findings = nlohmann::json::parse(read_file(report));
    std::map<std::string, std::string> by_id;
    for (const auto& f : findings) {
        const std::string id = f.at("id"), severity = f.at("severity"), finding = f.at("finding");
        by_id[id] = finding;
        EXPECT_TRUE(severity != "HIGH" && severity != "CRITICAL") << id << " (" << severity << "): " << finding;
    }
    for (const char* old : {"SSLv2", "SSLv3", "TLS1", "TLS1_1"}) EXPECT_EQ(by_id[old], "not offered") << old;
    EXPECT_TRUE(by_id["TLS1_2"].starts_with("offered")) << by_id["TLS1_2"];
    EXPECT_TRUE(by_id["TLS1_3"].starts_with("offered")) << by_id["TLS1_3"];
    for (const char* weak : {"cipherlist_NULL", "cipherlist_aNULL", "cipherlist_EXPORT", "cipherlist_LOW",
                             "cipherlist_3DES_IDEA", "cipherlist_AVERAGE"})
        EXPECT_EQ(by_id[weak], "not offered") << weak;
    EXPECT_EQ(by_id["ALPN"], "http/1.1");
    EXPECT_EQ(by_id["PFS"], "offered");
    // Mozilla's "intermediate" DH group for the DHE suites (RFC 7919).
    EXPECT_NE(by_id["DH_groups"].find("ffdhe2048"), std::string::npos) << by_id["DH_groups"];
}

}  // namespace
}  // namespace ct_test
