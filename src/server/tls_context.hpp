#pragma once
// The TLS settings every HTTPS listener shares: one SSL_CTX built from the
// certificate and key files, Mozilla's "intermediate" profile, ALPN
// http/1.1, a server-side session cache and session tickets whose keys live
// only in memory and rotate. reload() builds a new SSL_CTX from the same files
// and swaps it in for new connections; a connection keeps the context it
// started with (SSL_new holds a reference), so open connections are never
// disturbed.
#include <chrono>
#include <memory>
#include <mutex>
#include <string>

#include "common/result.hpp"

typedef struct ssl_st SSL;
typedef struct ssl_ctx_st SSL_CTX;

namespace cache_tier::server {

struct TlsFiles {
    std::string certificate;      // PEM: the certificate, then its chain
    std::string certificate_key;  // PEM: its private key
};

class TicketKeys;

class TlsContext {
public:
    // Loads the pair; on any problem (missing file, not PEM, key not matching
    // the certificate) returns an error that names the file and the reason.
    static Result<std::unique_ptr<TlsContext>> load(TlsFiles files);
    ~TlsContext();
    TlsContext(const TlsContext&) = delete;
    TlsContext& operator=(const TlsContext&) = delete;

    // A server-side SSL for a new connection, from the current context; null
    // only when out of memory. Thread-safe.
    SSL* new_ssl() const;
    // Reads the files again; on success new connections get the new pair, on
    // failure the current one stays and the error says why. Thread-safe.
    Status reload();
    // True when this kernel and OpenSSL can move records through kernel TLS
    // (the "tls" TCP ULP loads), so files go out with SSL_sendfile.
    bool kernel_tls() const { return kernel_tls_; }
    // A new ticket key now, as the hourly rotation does (tests).
    void rotate_ticket_keys();
    // The certificate's subject, for the start and reload log lines.
    std::string subject() const;

private:
    TlsContext() = default;
    static Result<SSL_CTX*> build(const TlsFiles& files, TicketKeys& keys, bool ktls);

    TlsFiles files_;
    std::unique_ptr<TicketKeys> tickets_;  // shared by every context built: reload keeps resumption
    bool kernel_tls_ = false;
    mutable std::mutex mutex_;
    SSL_CTX* ctx_ = nullptr;  // guarded by mutex_; one reference owned
};

// Whether the running kernel accepts the "tls" upper-layer protocol on a TCP
// socket (tried on a loopback connection, which also autoloads the module).
bool kernel_tls_available();

// Session-ticket keys: AES-256-CBC + HMAC-SHA256 keys made at random, never
// written anywhere. A new key every `rotate_every`; the previous one still
// decrypts (that ticket gets renewed), so a session resumes for up to twice
// that long.
class TicketKeys {
public:
    explicit TicketKeys(std::chrono::seconds rotate_every = std::chrono::hours(1));
    ~TicketKeys();
    // SSL_CTX_set_tlsext_ticket_key_evp_cb's callback, for a context whose
    // ex_data slot holds this object.
    void install(SSL_CTX* ctx);

    struct Key;
    // For tests: rotate now, as if the period had passed.
    void rotate();

private:
    friend struct TicketCallback;
    void rotate_if_due();

    std::chrono::seconds rotate_every_;
    std::mutex mutex_;
    std::chrono::steady_clock::time_point rotated_at_;
    std::unique_ptr<Key> current_, previous_;
};

}  // namespace cache_tier::server
