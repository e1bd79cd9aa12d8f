#include "support/test_ca.hpp"

#include <stdexcept>

namespace ct_test {

namespace {

void openssl(std::vector<std::string> argv) {
    argv.insert(argv.begin(), "openssl");
    std::string out;
    if (run_command(argv, &out) != 0) throw std::runtime_error("openssl " + argv.at(1) + " failed: " + out);
}

}  // namespace

TestCa::TestCa() {
    openssl({"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2", "-subj",
             "/CN=cache-tier test CA", "-keyout", (dir_ / "ca.key").string(), "-out", ca_file().string()});
}

TestCa::Issued TestCa::issue(const std::string& label, const std::string& subject_alt_name) const {
    Issued issued{dir_ / (label + ".pem"), dir_ / (label + ".key")};
    const fs::path leaf = dir_ / (label + ".leaf.pem");
    openssl({"req", "-x509", "-CA", ca_file().string(), "-CAkey", (dir_ / "ca.key").string(), "-newkey", "ec",
             "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2", "-subj", "/CN=" + label, "-addext",
             "subjectAltName=" + subject_alt_name, "-addext", "basicConstraints=CA:FALSE", "-addext",
             "extendedKeyUsage=serverAuth", "-keyout", issued.key.string(), "-out", leaf.string()});
    write_file(issued.certificate, read_file(leaf) + read_file(ca_file()));
    return issued;
}

}  // namespace ct_test
