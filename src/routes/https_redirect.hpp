#pragma once
// The plain-HTTP listener of a server that also serves HTTPS: ACME HTTP-01
// challenges from a folder (certbot's webroot mode), and, when asked, a 301
// to the same URL over HTTPS for everything else.
#include <cstdint>
#include <string>
#include <string_view>

#include "http/request.hpp"
#include "http/response.hpp"

namespace cache_tier::routes {

inline constexpr std::string_view kAcmeChallengePrefix = "/.well-known/acme-challenge/";

// GET /.well-known/acme-challenge/<token> from `dir` (RFC 8555 §8.3). A token
// is base64url (§8.1: [A-Za-z0-9_-]); anything else, or a token with no file,
// is a 404, and nothing outside `dir` is ever opened.
void handle_acme_challenge(const http::Request& req, std::string_view token, http::Response& out,
                           const std::string& dir);

// 301 to https://<Host without its port>[:<https_port> unless 443]<path>?<query>
// (the query the request had, if any).
// The Host must be a name or an address (else 400); the path and query are
// percent-encoded where they hold anything but URI characters, so nothing
// from the request reaches the Location header as it came.
void handle_https_redirect(const http::Request& req, std::string_view path, http::Response& out,
                           std::uint16_t https_port);

// The Location handle_https_redirect sends; "" for a Host it refuses.
std::string https_location(std::string_view host, std::string_view path, std::string_view query,
                           std::uint16_t https_port);

}  // namespace cache_tier::routes
