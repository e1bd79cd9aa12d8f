#pragma once
// Configuration of `cache-tier serve`: a JSON file, overridden by flags.
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>

#include "origins/origin.hpp"

namespace cache_tier::app {

// Thrown for every bad input: one line saying what is wrong and where.
struct ConfigError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

struct Config {
    // server core
    std::string listen_host = "127.0.0.1";
    std::uint16_t listen_port = 8080;
    unsigned threads = 0;  // 0: one per core
    std::size_t max_connections = 10000;
    std::size_t max_header_bytes = 8192;
    std::size_t max_request_line = 8192;
    std::chrono::seconds header_timeout{10};
    std::chrono::seconds keepalive_timeout{60};
    std::chrono::seconds send_timeout{60};
    std::string access_log;  // "" off, "-" stdout, else a file path
    // routes
    std::filesystem::path cache_dir;
    std::string static_prefix = "/static/files_cache/";
    std::string cache_control = "public, max-age=86400";
    std::string public_base_url;  // "" => relative redirects to static_prefix
    // origin and fills
    origins::OriginOptions origin;  // origin.url "" => no origin: verify/download report an error
    unsigned fill_workers = 4;
    std::size_t max_queued_fills = 1000;
    std::uint64_t max_file_size = 0;
    std::uint64_t max_cache_bytes = 0;  // 0: no limit; else least recently used files are evicted past it
    std::chrono::seconds negative_cache_time{300};
    std::chrono::seconds retry_min{5};
    std::chrono::seconds retry_max{600};
    std::chrono::seconds revalidate_after{0};
};

// Read a JSON config file into `cfg`. Accepts the original project's keys
// download_base_url (= origin) and cache_folder (relative to the file's folder).
// Unknown keys and bad values throw ConfigError naming the file and key.
void load_config_file(const std::filesystem::path& file, Config& cfg);

// Parse "HOST:PORT", "[v6]:PORT" or ":PORT"; throws ConfigError.
void parse_listen(const std::string& text, Config& cfg, const std::string& where);

// Final checks after file and flags are merged: cache directory exists and is
// writable, the origin URL is well formed, numbers in range. Creates the state folder.
void validate_config(Config& cfg);

}  // namespace cache_tier::app
