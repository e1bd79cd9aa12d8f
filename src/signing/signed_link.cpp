#include "signing/signed_link.hpp"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>

#include "common/unique_fd.hpp"

namespace cache_tier::signing {

namespace {

constexpr std::size_t kMaxExpiresDigits = 18;  // any 18-digit number fits an int64

// RFC 4648 §5: the URL- and filename-safe alphabet, so a signature needs no
// percent-encoding in a query.
constexpr char kBase64Url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string base64url(const unsigned char* data, std::size_t size) {
    std::string out;
    out.reserve((size * 4 + 2) / 3);
    std::size_t i = 0;
    for (; i + 3 <= size; i += 3) {
        const unsigned v = (data[i] << 16) | (data[i + 1] << 8) | data[i + 2];
        for (int shift : {18, 12, 6, 0}) out += kBase64Url[(v >> shift) & 0x3f];
    }
    // No padding: the 1 or 2 bytes left give 2 or 3 characters.
    if (const std::size_t left = size - i; left > 0) {
        const unsigned v = (data[i] << 16) | (left == 2 ? data[i + 1] << 8 : 0);
        out += kBase64Url[(v >> 18) & 0x3f];
        out += kBase64Url[(v >> 12) & 0x3f];
        if (left == 2) out += kBase64Url[(v >> 6) & 0x3f];
    }
    return out;
}

bool is_base64url(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

// Decimal digits, no sign, no leading zero, at most kMaxExpiresDigits: one
// spelling per number, so the signed text and the parsed number agree.
bool parse_expires(std::string_view text, std::int64_t& out) {
    // "0" itself is a time (what link_query writes for it); "012" is not how anyone writes one.
    if (text.empty() || text.size() > kMaxExpiresDigits || (text.front() == '0' && text.size() > 1)) return false;
    std::int64_t value = 0;
    for (char c : text) {
        if (c < '0' || c > '9') return false;
        value = value * 10 + (c - '0');
    }
    out = value;
    return true;
}

struct LinkParams {
    std::string_view expires, signature;
    bool has_expires = false, has_signature = false;
};

// Splits on '&'; "name" without '=' counts as the name with an empty value.
LinkError parse_params(std::string_view query, LinkParams& params) {
    if (query.empty()) return LinkError::none;
    while (true) {
        const std::size_t amp = query.find('&');
        const std::string_view piece = query.substr(0, amp);
        const std::size_t eq = piece.find('=');
        const std::string_view key = piece.substr(0, eq);
        const std::string_view value = eq == std::string_view::npos ? std::string_view() : piece.substr(eq + 1);
        if (key == "expires" || key == "signature") {
            bool& seen = key == "expires" ? params.has_expires : params.has_signature;
            // Two values would leave open which one was checked: a cache or
            // proxy in front might pick the other.
            if (seen) return LinkError::duplicate_parameter;
            seen = true;
            (key == "expires" ? params.expires : params.signature) = value;
        }
        if (amp == std::string_view::npos) return LinkError::none;
        query.remove_prefix(amp + 1);
    }
}

}  // namespace

std::string signed_path(std::string_view static_prefix, std::string_view decoded_name) {
    std::string path;
    path.reserve(static_prefix.size() + decoded_name.size());
    path.append(static_prefix);
    for (char c : decoded_name) path += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    return path;
}

std::string signature(std::string_view secret, std::string_view path, std::int64_t expires) {
    std::string message;
    message.reserve(path.size() + 1 + 20);
    message.append(path).append("\n").append(std::to_string(expires));
    // A non-null key even when empty: OpenSSL reads a null key as "reuse the last one".
    static const unsigned char no_key = 0;
    const void* key = secret.empty() ? static_cast<const void*>(&no_key) : secret.data();
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int mac_length = 0;
    if (!HMAC(EVP_sha256(), key, static_cast<int>(secret.size()), reinterpret_cast<const unsigned char*>(message.data()),
              message.size(), mac, &mac_length))
        throw std::runtime_error("HMAC-SHA256 failed");
    return base64url(mac, mac_length);
}

std::string link_query(std::string_view secret, std::string_view path, std::int64_t expires) {
    return "expires=" + std::to_string(expires) + "&signature=" + signature(secret, path, expires);
}

std::string_view describe(LinkError error) {
    switch (error) {
        case LinkError::none: return "valid signed link";
        case LinkError::unsigned_link: return "this file needs a signed link (expires and signature parameters)";
        case LinkError::missing_expires: return "signed link without an expires parameter";
        case LinkError::missing_signature: return "signed link without a signature parameter";
        case LinkError::duplicate_parameter: return "expires or signature given more than once";
        case LinkError::bad_expires: return "expires is not a Unix time in seconds";
        case LinkError::bad_signature: return "signature is not 43 base64url characters";
        case LinkError::wrong_signature: return "signature does not match this file and expiry";
        case LinkError::expired: return "signed link has expired";
    }
    return "invalid signed link";
}

LinkError check_link(std::string_view secret, std::string_view path, std::string_view query, std::int64_t now) {
    LinkParams params;
    if (const LinkError e = parse_params(query, params); e != LinkError::none) return e;
    if (!params.has_expires && !params.has_signature) return LinkError::unsigned_link;
    if (!params.has_expires) return LinkError::missing_expires;
    if (!params.has_signature) return LinkError::missing_signature;
    std::int64_t expires = 0;
    if (!parse_expires(params.expires, expires)) return LinkError::bad_expires;
    if (params.signature.size() != kSignatureChars) return LinkError::bad_signature;
    for (char c : params.signature)
        if (!is_base64url(c)) return LinkError::bad_signature;
    // The signature first, so "expired" is only ever said of a genuine link.
    // Comparing the encoded text accepts one spelling only (base64url's last
    // character has spare bits), and CRYPTO_memcmp takes the same time
    // wherever the first difference is.
    const std::string expected = signature(secret, path, expires);
    if (CRYPTO_memcmp(expected.data(), params.signature.data(), kSignatureChars) != 0) return LinkError::wrong_signature;
    if (now > expires) return LinkError::expired;
    return LinkError::none;
}

namespace {

// What is wrong with a secret, to follow "the secret "; "" when nothing is.
std::string secret_problem(std::string_view secret) {
    if (secret.empty()) return "is empty";
    if (secret.size() < kMinSecretBytes)
        return "is " + std::to_string(secret.size()) + " bytes; at least " + std::to_string(kMinSecretBytes) +
               " are needed (e.g. head -c 32 /dev/urandom | base64)";
    if (secret.size() > kMaxSecretBytes) return "is larger than " + std::to_string(kMaxSecretBytes) + " bytes";
    return {};
}

}  // namespace

Status check_secret(std::string_view secret) {
    if (std::string problem = secret_problem(secret); !problem.empty())
        return Error{"the URL signing secret " + problem};
    return {};
}

Result<std::string> read_secret_file(const std::string& path) {
    const std::string where = "URL signing secret file " + path;
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) return system_error("cannot open " + where);
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) return system_error("cannot read " + where);
    if (!S_ISREG(st.st_mode)) return Error{where + ": not a regular file"};
    // The largest secret and a CRLF: a larger file is not a secret file (a wrong path).
    if (st.st_size > static_cast<off_t>(kMaxSecretBytes + 2))
        return Error{where + ": larger than " + std::to_string(kMaxSecretBytes) + " bytes, not a secret file"};
    std::string secret(static_cast<std::size_t>(st.st_size), '\0');
    std::size_t size = 0;
    while (size < secret.size()) {
        const ssize_t n = ::read(fd.get(), secret.data() + size, secret.size() - size);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return system_error("cannot read " + where);
        if (n == 0) break;
        size += static_cast<std::size_t>(n);
    }
    secret.resize(size);
    while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r')) secret.pop_back();
    if (std::string problem = secret_problem(secret); !problem.empty()) return Error{where + ": the secret " + problem};
    return secret;
}

}  // namespace cache_tier::signing
