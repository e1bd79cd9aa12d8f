#include "routes/https_redirect.hpp"

#include <fcntl.h>
#include <unistd.h>

#include "http/number.hpp"
#include "store/safe_open.hpp"

namespace cache_tier::routes {

namespace {

// A challenge file holds "token.thumbprint" (RFC 8555 §8.1): well under this.
constexpr std::size_t kMaxChallengeFile = 4096;

bool base64url(std::string_view token) {
    if (token.empty() || token.size() > 256) return false;
    for (char c : token)
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
            return false;
    return true;
}

// RFC 3986 §3.3-3.4: characters a path and query may hold as they are ('%'
// too: it already starts an escape). Everything else is escaped.
bool uri_character(unsigned char c) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) return true;
    return std::string_view("-._~!$&'()*+,;=:@/?%").find(static_cast<char>(c)) != std::string_view::npos;
}

void append_uri_escaped(std::string& out, std::string_view text) {
    constexpr char kHex[] = "0123456789ABCDEF";
    for (unsigned char c : text) {
        if (uri_character(c)) {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += kHex[c >> 4];
            out += kHex[c & 15];
        }
    }
}

// RFC 9110 §7.2: Host is uri-host [":" port]. A reg-name of letters, digits,
// '-' and '.', or a bracketed IPv6 address; the port is dropped. "" if bad.
std::string_view host_without_port(std::string_view host) {
    std::string_view name = host;
    if (host.starts_with('[')) {
        const auto close = host.find(']');
        if (close == std::string_view::npos) return {};
        name = host.substr(0, close + 1);
        for (char c : name.substr(1, name.size() - 2))
            if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == ':' || c == '.'))
                return {};
        host.remove_prefix(close + 1);
    } else {
        const auto colon = host.find(':');
        name = host.substr(0, colon);
        host.remove_prefix(colon == std::string_view::npos ? host.size() : colon);
        for (char c : name)
            if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.'))
                return {};
    }
    // What may follow: nothing, or ":" and digits.
    if (!host.empty() && (host.front() != ':' || host.substr(1).find_first_not_of("0123456789") != std::string_view::npos))
        return {};
    return name.size() > 2 || (!name.empty() && name.front() != '[') ? name : std::string_view();
}

}  // namespace

std::string https_location(std::string_view host, std::string_view path, std::string_view query,
                           std::uint16_t https_port) {
    const std::string_view name = host_without_port(host);
    if (name.empty()) return {};
    std::string location = "https://";
    location += name;
    if (https_port != 443) {
        location += ':';
        http::append_decimal(location, https_port);
    }
    if (!path.starts_with('/')) location += '/';
    append_uri_escaped(location, path);
    if (!query.empty()) {
        location += '?';
        append_uri_escaped(location, query);
    }
    return location;
}

void handle_https_redirect(const http::Request& req, std::string_view path, http::Response& out,
                           std::uint16_t https_port) {
    const std::string location = https_location(req.host, path, req.query(), https_port);
    if (location.empty()) return http::error_response(out, 400, "missing or bad Host");
    // RFC 9110 §15.4.2: permanent; clients keep the method for GET and HEAD.
    http::error_response(out, 301, "");
    out.add_header("Location", location);
}

void handle_acme_challenge(const http::Request& req, std::string_view token, http::Response& out,
                           const std::string& dir) {
    if (req.method != http::Method::get && req.method != http::Method::head) {
        http::error_response(out, 405, "method not allowed");
        return out.add_header("Allow", "GET, HEAD");
    }
    if (!base64url(token)) return http::error_response(out, 404, "no such challenge");
    UniqueFd dir_fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!dir_fd) return http::error_response(out, 404, "no such challenge");
    auto file = store::open_beneath(dir_fd.get(), std::string(token));
    if (!file) return http::error_response(out, 404, "no such challenge");
    std::string body(kMaxChallengeFile + 1, '\0');
    const ssize_t n = ::pread(file->get(), body.data(), body.size(), 0);
    // A directory, a FIFO or a file too large to be a challenge is not one.
    if (n < 0 || static_cast<std::size_t>(n) > kMaxChallengeFile) return http::error_response(out, 404, "no such challenge");
    body.resize(static_cast<std::size_t>(n));
    out.status = 200;
    out.add_header("Content-Type", "application/octet-stream");
    out.body = std::move(body);
}

}  // namespace cache_tier::routes
