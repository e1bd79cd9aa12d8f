#pragma once
// A private certificate authority made with openssl at test time, and the
// server certificates it signs: for tests of https between real peers.
#include <string>

#include "support/process.hpp"

namespace ct_test {

class TestCa {
public:
    // Makes the CA's key and self-signed certificate (ECDSA P-256, 2 days).
    // Throws std::runtime_error with openssl's output if that fails.
    TestCa();
    // The CA's certificate (PEM): what a client is told to trust.
    fs::path ca_file() const { return dir_ / "ca.pem"; }

    struct Issued {
        fs::path certificate;  // PEM: the leaf, then the CA (a full chain, as servers are given)
        fs::path key;          // PEM, unencrypted
    };
    // A server certificate for `subject_alt_name` (e.g. "IP:127.0.0.1" or
    // "DNS:downloads.example.com"), signed by this CA; `label` names its files.
    Issued issue(const std::string& label, const std::string& subject_alt_name) const;

private:
    TempDir dir_;
};

}  // namespace ct_test
