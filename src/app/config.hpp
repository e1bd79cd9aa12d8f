#pragma once
// Configuration of `cache-tier serve`: a JSON file, overridden by flags.
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>

#include "fill/fill_engine.hpp"
#include "origins/origin.hpp"
#include "routes/admin.hpp"
#include "routes/routes.hpp"
#include "server/server.hpp"

namespace cache_tier::app {

// Thrown for every bad input: one line saying what is wrong and where.
struct ConfigError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// The option structs of the modules, each with its own defaults: the one
// place a default lives. The file and the flags only change them.
struct Config {
    server::ServerOptions server;    // listen address, threads, limits, timeouts, access log
    routes::RouteOptions routes;     // static prefix, Cache-Control, redirect base
    fill::FillOptions fill;          // cache directory, workers, queue, sizes, ages
    origins::OriginOptions origin;   // origin.url "" => no origin: verify/download report an error
    // Read by validate_config into routes.url_signing_secret; "" => links are not signed.
    std::filesystem::path url_signing_secret_file;
    routes::AdminOptions admin;      // admin API: token file, its own listener
    // The plain listener answers with a 301 to HTTPS (the first tls_listen's
    // port); validate_config sets routes.https_redirect_port from it.
    bool http_redirect_to_https = false;
};

// Read a JSON config file into `cfg`. Accepts the original project's keys
// download_base_url (= origin) and cache_folder (relative to the file's folder).
// Unknown keys and bad values throw ConfigError naming the file and key.
void load_config_file(const std::filesystem::path& file, Config& cfg);

// Parse "HOST:PORT", "[v6]:PORT" or ":PORT" into cfg.server; throws ConfigError.
void parse_listen(const std::string& text, Config& cfg, const std::string& where);
// The same into `server`'s host and port.
void parse_listen(const std::string& text, server::ServerOptions& server, const std::string& where);

// The admin token: the first line of cfg.admin.token_file if set, else
// CACHE_TIER_ADMIN_TOKEN; "" when neither is set (the admin API is off).
// Throws ConfigError for an unreadable file or an empty token; a file other
// users may read, or a short token, is logged as a warning when `warn`.
std::string load_admin_token(const Config& cfg, bool warn = true);

// One more HTTPS listener, "HOST:PORT" as parse_listen takes it; throws ConfigError.
void add_tls_listen(const std::string& text, Config& cfg, const std::string& where);

// A size ("10M"; see byte_size.hpp) and min_free ("5%" too); throw ConfigError.
std::uint64_t parse_size(const std::string& text, const std::string& where);
void parse_min_free(const std::string& text, Config& cfg, const std::string& where);

// Final checks after file and flags are merged: cache directory exists and is
// writable, the origin URL is well formed, numbers in range. Creates the state folder.
void validate_config(Config& cfg);

}  // namespace cache_tier::app
