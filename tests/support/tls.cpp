#include "support/tls.hpp"

#include <cstdlib>
#include <mutex>
#include <set>
#include <stdexcept>
#include <vector>

#include "support/process.hpp"

namespace ct_test {

namespace {
std::mutex ports_mutex;
std::set<int>& tls_ports() {
    static std::set<int> ports;
    return ports;
}
}  // namespace

TestCertificate make_certificate(const fs::path& dir, const std::string& stem, const std::string& name,
                                 const std::string& key_type) {
    TestCertificate made{dir / (stem + ".pem"), dir / (stem + ".key")};
    std::vector<std::string> argv = {"openssl", "req", "-x509", "-newkey", key_type};
    if (key_type == "ec") argv.insert(argv.end(), {"-pkeyopt", "ec_paramgen_curve:P-256"});
    argv.insert(argv.end(), {"-nodes", "-days", "2", "-subj", "/CN=" + name, "-addext",
                             "subjectAltName=DNS:" + name + ",IP:127.0.0.1", "-keyout", made.key.string(), "-out",
                             made.certificate.string()});
    std::string out;
    int status = run_command(argv, &out);
    if (status != 0) throw std::runtime_error("openssl req failed: " + out);
    return made;
}

const TestCertificate& shared_certificate() {
    static TempDir dir;
    static const TestCertificate made = make_certificate(dir.path(), "server");
    return made;
}

bool tls_mode() {
    const char* v = std::getenv("CACHE_TIER_TEST_TLS");
    return v && std::string(v) == "1";
}

void register_tls_port(int port) {
    std::lock_guard lock(ports_mutex);
    tls_ports().insert(port);
}

bool is_tls_port(int port) {
    std::lock_guard lock(ports_mutex);
    return tls_ports().count(port) > 0;
}

}  // namespace ct_test
