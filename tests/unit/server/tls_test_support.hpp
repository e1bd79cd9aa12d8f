#pragma once
// In-process TLS peers for the server's TLS unit tests: a self-signed
// certificate written as PEM files, and an OpenSSL client on one end of a
// socketpair whose other end a TlsTransport serves. Both ends are
// non-blocking and driven in turn on the test's thread.
#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sys/socket.h>

#include <cstdio>
#include <cstring>
#include <functional>
#include <stdexcept>
#include <string>

#include "common/unique_fd.hpp"
#include "support/process.hpp"

namespace cache_tier::server::tls_test {

namespace fs = std::filesystem;
using ct_test::TempDir;

// A self-signed P-256 certificate for `cn`, and its key, as PEM files.
inline void write_self_signed(const fs::path& cert_path, const fs::path& key_path, const std::string& cn) {
    EVP_PKEY* key = EVP_EC_gen("P-256");
    X509* cert = X509_new();
    X509_set_version(cert, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert), -60);
    X509_gmtime_adj(X509_getm_notAfter(cert), 86400);
    X509_set_pubkey(cert, key);
    X509_NAME* name = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
    X509_set_issuer_name(cert, name);
    X509_sign(cert, key, EVP_sha256());
    FILE* out = std::fopen(cert_path.c_str(), "w");
    PEM_write_X509(out, cert);
    std::fclose(out);
    out = std::fopen(key_path.c_str(), "w");
    PEM_write_PrivateKey(out, key, nullptr, nullptr, 0, nullptr, nullptr);
    std::fclose(out);
    X509_free(cert);
    EVP_PKEY_free(key);
}

// A connected non-blocking socketpair: [0] for the server, [1] for the client.
struct SocketPair {
    UniqueFd server, client;
    SocketPair() {
        int fds[2];
        if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds) != 0)
            throw std::runtime_error("socketpair");
        server.reset(fds[0]);
        client.reset(fds[1]);
    }
};

// An OpenSSL client that trusts nothing in particular (the tests look at
// what was negotiated, not at the chain) and counts the records it receives.
class Client {
public:
    explicit Client(int fd, int max_version = 0, const char* alpn = "\x08http/1.1") {
        ctx_ = SSL_CTX_new(TLS_client_method());
        SSL_CTX_set_min_proto_version(ctx_, 0);
        if (max_version) SSL_CTX_set_max_proto_version(ctx_, max_version);
        ssl_ = SSL_new(ctx_);
        SSL_set_fd(ssl_, fd);
        SSL_set_connect_state(ssl_);
        if (alpn) SSL_set_alpn_protos(ssl_, reinterpret_cast<const unsigned char*>(alpn), std::strlen(alpn));
        SSL_set_msg_callback(ssl_, &Client::on_message);
        SSL_set_msg_callback_arg(ssl_, this);
    }
    ~Client() {
        // Freed without a shutdown, a session would be marked not resumable.
        SSL_set_shutdown(ssl_, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
        SSL_free(ssl_);
        SSL_CTX_free(ctx_);
    }
    SSL* ssl() { return ssl_; }

    // One step of the handshake: 1 done, 0 wants more, -1 failed.
    int handshake() {
        int rc = SSL_do_handshake(ssl_);
        if (rc == 1) return 1;
        int err = SSL_get_error(ssl_, rc);
        ERR_clear_error();
        return err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE ? 0 : -1;
    }
    // Whatever has arrived, decrypted, appended to `received`.
    void read_available() {
        char buf[16384];
        std::size_t n = 0;
        while (SSL_read_ex(ssl_, buf, sizeof buf, &n) == 1) received.append(buf, n);
        ERR_clear_error();
    }
    bool write(const std::string& data) {
        std::size_t n = 0;
        bool ok = SSL_write_ex(ssl_, data.data(), data.size(), &n) == 1 && n == data.size();
        ERR_clear_error();
        return ok;
    }

    std::string received;
    int application_records = 0;  // TLS records of application data received

private:
    static void on_message(int write_p, int, int content_type, const void* buf, size_t len, SSL*, void* arg) {
        // Every record's header passes here once (SSL3_RT_HEADER); its first
        // byte is the outer content type, 23 for application data.
        if (!write_p && content_type == SSL3_RT_HEADER && len >= 1 &&
            static_cast<const unsigned char*>(buf)[0] == SSL3_RT_APPLICATION_DATA)
            ++static_cast<Client*>(arg)->application_records;
    }

    SSL_CTX* ctx_ = nullptr;
    SSL* ssl_ = nullptr;
};

// Call `step` until it says done (true) or it has been called `limit` times.
inline bool drive(const std::function<bool()>& step, int limit = 10000) {
    for (int i = 0; i < limit; ++i)
        if (step()) return true;
    return false;
}

}  // namespace cache_tier::server::tls_test
