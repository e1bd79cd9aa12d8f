#include "server/tls_context.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/dh.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sys/socket.h>

#include <cstring>

#include "common/unique_fd.hpp"

namespace cache_tier::server {

namespace {

// Mozilla's "intermediate" profile (ssl-config.mozilla.org, guideline 5.7):
// TLS 1.2 and 1.3, these TLS 1.2 suites (OpenSSL's TLS 1.3 defaults stand),
// these groups, and the client's cipher preference honoured (every suite
// listed is strong; the client knows whether it has AES hardware).
constexpr const char* kCiphers12 =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"
    "DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384:DHE-RSA-CHACHA20-POLY1305";
constexpr const char* kGroups = "X25519:prime256v1:secp384r1";
constexpr unsigned char kSessionContext[] = "cache-tier";

// The reason OpenSSL queued for the last failure, and the queue emptied.
std::string openssl_reason() {
    unsigned long code = ERR_peek_last_error();
    std::string reason = code ? ERR_reason_error_string(code) ? ERR_reason_error_string(code) : "unknown error"
                              : "unknown error";
    ERR_clear_error();
    return reason;
}

// OpenSSL's default for a key with a passphrase asks for it on the terminal,
// which would hold the start, or a SIGHUP reload and the signals after it
// (SIGTERM included), for ever. The server never asks: it notes the refusal.
int no_passphrase(char*, int, int, void* asked) {
    if (asked) *static_cast<bool*>(asked) = true;
    return -1;
}

// A clear errno message for a file that cannot be opened, before OpenSSL's
// own, vaguer one ("system lib").
Status readable(const std::string& key, const std::string& path) {
    if (path.empty()) return Error{key + " is not set"};
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) return system_error(key + " " + path);
    return {};
}

// RFC 7301 §3.2: the server picks a protocol both sides offer; with none in
// common it answers no_application_protocol (as nginx does). A client that
// sends no ALPN at all is served HTTP/1.1 without it.
int select_alpn(SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in, unsigned inlen,
                void*) {
    static const unsigned char kHttp11[] = "\x08http/1.1";
    unsigned char* chosen = nullptr;
    if (SSL_select_next_proto(&chosen, outlen, kHttp11, sizeof kHttp11 - 1, in, inlen) != OPENSSL_NPN_NEGOTIATED)
        return SSL_TLSEXT_ERR_ALERT_FATAL;
    *out = chosen;
    return SSL_TLSEXT_ERR_OK;
}

// The DHE suites' group: ffdhe2048 (RFC 7919), as Mozilla's profile says,
// rather than OpenSSL's automatic pick (an older RFC 3526 prime).
bool use_ffdhe2048(SSL_CTX* ctx) {
    EVP_PKEY_CTX* gen = EVP_PKEY_CTX_new_from_name(nullptr, "DH", nullptr);
    EVP_PKEY* params = nullptr;
    const bool made = gen && EVP_PKEY_paramgen_init(gen) == 1 && EVP_PKEY_CTX_set_dh_nid(gen, NID_ffdhe2048) == 1 &&
                      EVP_PKEY_paramgen(gen, &params) == 1;
    EVP_PKEY_CTX_free(gen);
    if (!made) return false;
    if (SSL_CTX_set0_tmp_dh_pkey(ctx, params) == 1) return true;  // the context owns it now
    EVP_PKEY_free(params);
    return false;
}

int ticket_keys_index() {
    static const int index = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
    return index;
}

}  // namespace

struct TicketKeys::Key {
    unsigned char name[16];
    unsigned char aes[32];
    unsigned char hmac[32];
};

TicketKeys::TicketKeys(std::chrono::seconds rotate_every) : rotate_every_(rotate_every) { rotate(); }
TicketKeys::~TicketKeys() = default;

void TicketKeys::rotate() {
    auto key = std::make_unique<Key>();
    if (RAND_bytes(reinterpret_cast<unsigned char*>(key.get()), sizeof(Key)) != 1)
        throw std::runtime_error("session ticket key: no random bytes");
    std::lock_guard lock(mutex_);
    previous_ = std::move(current_);
    current_ = std::move(key);
    rotated_at_ = std::chrono::steady_clock::now();
}

void TicketKeys::rotate_if_due() {
    {
        std::lock_guard lock(mutex_);
        if (std::chrono::steady_clock::now() - rotated_at_ < rotate_every_) return;
    }
    rotate();
}

// OpenSSL calls this to seal a new ticket (enc = 1) and to open one a client
// presents (enc = 0). Returns: 1 use it, 2 use it and issue a fresh ticket
// (it was sealed with the previous key), 0 not ours (full handshake), -1 error.
struct TicketCallback {
    static int call(SSL* ssl, unsigned char* name, unsigned char* iv, EVP_CIPHER_CTX* cipher, EVP_MAC_CTX* mac,
                    int enc) {
        auto* keys = static_cast<TicketKeys*>(SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), ticket_keys_index()));
        if (!keys) return -1;
        TicketKeys::Key key;
        int found = 1;
        if (enc) {
            keys->rotate_if_due();
            std::lock_guard lock(keys->mutex_);
            key = *keys->current_;
            if (RAND_bytes(iv, EVP_MAX_IV_LENGTH) != 1) return -1;
            std::memcpy(name, key.name, sizeof key.name);
        } else {
            std::lock_guard lock(keys->mutex_);
            if (std::memcmp(name, keys->current_->name, sizeof key.name) == 0)
                key = *keys->current_;
            else if (keys->previous_ && std::memcmp(name, keys->previous_->name, sizeof key.name) == 0)
                key = *keys->previous_, found = 2;
            else
                return 0;
        }
        OSSL_PARAM params[] = {
            OSSL_PARAM_construct_octet_string(OSSL_MAC_PARAM_KEY, key.hmac, sizeof key.hmac),
            OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, const_cast<char*>("SHA256"), 0),
            OSSL_PARAM_construct_end(),
        };
        // Fetched once: OpenSSL 3 would look the algorithm up again at every ticket.
        static EVP_CIPHER* const aes = EVP_CIPHER_fetch(nullptr, "AES-256-CBC", nullptr);
        if (!aes) return -1;
        const int ok = enc ? EVP_EncryptInit_ex(cipher, aes, nullptr, key.aes, iv)
                           : EVP_DecryptInit_ex(cipher, aes, nullptr, key.aes, iv);
        OPENSSL_cleanse(&key, sizeof key);
        if (ok != 1 || EVP_MAC_CTX_set_params(mac, params) != 1) return -1;
        return found;
    }
};

void TicketKeys::install(SSL_CTX* ctx) {
    SSL_CTX_set_ex_data(ctx, ticket_keys_index(), this);
    SSL_CTX_set_tlsext_ticket_key_evp_cb(ctx, &TicketCallback::call);
}

bool kernel_tls_available() {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    UniqueFd listener(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    UniqueFd client(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!listener || !client) return false;
    if (::bind(listener.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(listener.get(), 1) != 0 ||
        ::getsockname(listener.get(), reinterpret_cast<sockaddr*>(&addr), &len) != 0 ||
        ::connect(client.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
        return false;
    UniqueFd accepted(::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
    // The ULP is set on an established socket; an unknown one fails with ENOENT.
    return accepted && ::setsockopt(client.get(), SOL_TCP, TCP_ULP, "tls", sizeof "tls") == 0;
}

Result<SSL_CTX*> TlsContext::build(const TlsFiles& files, TicketKeys& keys, bool ktls) {
    if (Status s = readable("tls_certificate", files.certificate); !s) return s.error();
    if (Status s = readable("tls_certificate_key", files.certificate_key); !s) return s.error();
    ERR_clear_error();
    SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
    if (!ctx) return Error{"TLS context: " + openssl_reason()};
    auto fail = [ctx](std::string what) -> Error {
        SSL_CTX_free(ctx);
        return Error{std::move(what) + ": " + openssl_reason()};
    };
    SSL_CTX_set_default_passwd_cb(ctx, no_passphrase);
    if (SSL_CTX_use_certificate_chain_file(ctx, files.certificate.c_str()) != 1)
        return fail("tls_certificate " + files.certificate + ": not a PEM certificate (chain)");
    EVP_PKEY* key = nullptr;
    bool encrypted = false;
    if (BIO* in = BIO_new_file(files.certificate_key.c_str(), "r")) {
        key = PEM_read_bio_PrivateKey(in, nullptr, no_passphrase, &encrypted);
        BIO_free(in);
    }
    if (!key && encrypted) {
        SSL_CTX_free(ctx);
        ERR_clear_error();
        return Error{"tls_certificate_key " + files.certificate_key +
                     ": encrypted with a passphrase, which the server does not ask for; store the key without one "
                     "(openssl pkey -in KEY -out PLAIN), readable by the server's user only"};
    }
    if (!key) return fail("tls_certificate_key " + files.certificate_key + ": not a PEM private key");
    const int used = SSL_CTX_use_PrivateKey(ctx, key);
    EVP_PKEY_free(key);
    if (used != 1 || SSL_CTX_check_private_key(ctx) != 1)
        return fail("tls_certificate_key " + files.certificate_key + " does not match tls_certificate " +
                    files.certificate);
    if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1 ||
        SSL_CTX_set_cipher_list(ctx, kCiphers12) != 1 || SSL_CTX_set1_groups_list(ctx, kGroups) != 1 ||
        !use_ffdhe2048(ctx))
        return fail("TLS settings");
    SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION |
                                 // A peer that closes without close_notify ends the stream like one that sends it:
                                 // HTTP/1.1 frames its own messages (RFC 9110 §9.6 leaves this to the framing).
                                 SSL_OP_IGNORE_UNEXPECTED_EOF | (ktls ? SSL_OP_ENABLE_KTLS : 0));
    SSL_CTX_clear_options(ctx, SSL_OP_CIPHER_SERVER_PREFERENCE);
    // Idle connections hold no record buffers; a write that could not finish
    // is retried from wherever its bytes are then, a record at a time.
    SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ENABLE_PARTIAL_WRITE |
                              SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    // Read what the socket has in one call instead of a header then a body per record.
    SSL_CTX_set_read_ahead(ctx, 1);
    SSL_CTX_set_alpn_select_cb(ctx, select_alpn, nullptr);
    // Resumption: a server-side cache for TLS 1.2 clients without tickets, and
    // tickets sealed with the rotating in-memory keys; a session lives as long
    // as the key that sealed its ticket is current.
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER);
    SSL_CTX_set_session_id_context(ctx, kSessionContext, sizeof kSessionContext - 1);
    SSL_CTX_set_timeout(ctx, 3600);
    keys.install(ctx);
    return ctx;
}

Result<std::unique_ptr<TlsContext>> TlsContext::load(TlsFiles files) {
    std::unique_ptr<TlsContext> context(new TlsContext);
    context->tickets_ = std::make_unique<TicketKeys>();
    context->kernel_tls_ = kernel_tls_available();
    auto ctx = build(files, *context->tickets_, context->kernel_tls_);
    if (!ctx) return ctx.error();
    context->ctx_ = *ctx;
    context->files_ = std::move(files);
    return context;
}

TlsContext::~TlsContext() { SSL_CTX_free(ctx_); }

SSL* TlsContext::new_ssl() const {
    std::lock_guard lock(mutex_);
    return SSL_new(ctx_);  // holds its own reference to the context
}

Status TlsContext::reload() {
    auto ctx = build(files_, *tickets_, kernel_tls_);
    if (!ctx) return ctx.error();
    SSL_CTX* old;
    {
        std::lock_guard lock(mutex_);
        old = std::exchange(ctx_, *ctx);
    }
    SSL_CTX_free(old);  // freed once its last connection ends
    return {};
}

void TlsContext::rotate_ticket_keys() { tickets_->rotate(); }

std::string TlsContext::subject() const {
    std::lock_guard lock(mutex_);
    X509* cert = SSL_CTX_get0_certificate(ctx_);
    if (!cert) return {};
    char line[512];
    X509_NAME_oneline(X509_get_subject_name(cert), line, sizeof line);
    return line;
}

}  // namespace cache_tier::server
