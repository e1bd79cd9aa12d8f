#include "app/config.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include <fstream>
#include <functional>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include <spdlog/spdlog.h>

#include "app/byte_size.hpp"
#include "http/response.hpp"
#include "signing/signed_link.hpp"
#include "server/tls_context.hpp"
#include "store/layout.hpp"

namespace cache_tier::app {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

// Ten years: a longer-lived link is as good as an unsigned one.
constexpr std::uint64_t kMaxSigningTtl = 10ull * 365 * 24 * 3600;
constexpr double kMaxPricePerGb = 1000;

[[noreturn]] void fail(const std::string& where, const std::string& what) { throw ConfigError(where + ": " + what); }

std::string shown(const json& v) {
    std::string s = v.dump(-1, ' ', false, json::error_handler_t::replace);
    return s.size() > 60 ? s.substr(0, 57) + "..." : s;
}

std::uint64_t whole_number(const json& v, const std::string& where, std::uint64_t min, std::uint64_t max) {
    if (!v.is_number_unsigned() && !(v.is_number_integer() && v.get<std::int64_t>() >= 0))
        fail(where, "expected a whole number from " + std::to_string(min) + " to " + std::to_string(max) + ", got " +
                        shown(v));
    auto n = v.get<std::uint64_t>();
    if (n < min || n > max)
        fail(where, "expected a whole number from " + std::to_string(min) + " to " + std::to_string(max) + ", got " +
                        std::to_string(n));
    return n;
}

// Bytes: a whole number, or a string with a unit ("10M", "1.5G"; see byte_size.hpp).
std::uint64_t byte_size(const json& v, const std::string& where, std::uint64_t min, std::uint64_t max) {
    if (!v.is_string()) return whole_number(v, where, min, max);
    auto n = parse_byte_size(v.get<std::string>());
    if (!n) fail(where, n.error().message);
    if (*n < min || *n > max)
        fail(where, "expected a size from " + std::to_string(min) + " to " + std::to_string(max) + " bytes, got " +
                        shown(v) + " (" + std::to_string(*n) + " bytes)");
    return *n;
}

std::string text(const json& v, const std::string& where) {
    if (!v.is_string()) fail(where, "expected a string, got " + shown(v));
    return v.get<std::string>();
}

std::chrono::seconds seconds(const json& v, const std::string& where) {
    return std::chrono::seconds(whole_number(v, where, 0, 10ull * 365 * 24 * 3600));
}

bool boolean(const json& v, const std::string& where) {
    if (!v.is_boolean()) fail(where, "expected true or false, got " + shown(v));
    return v.get<bool>();
}

// Seconds, fractions allowed ("stream_start_wait": 0.5), from 0 to `max_seconds`.
std::chrono::milliseconds fractional_seconds(const json& v, const std::string& where, double max_seconds) {
    if (!v.is_number() || v.get<double>() < 0 || v.get<double>() > max_seconds)
        fail(where, "expected a number of seconds from 0 to " + std::to_string(static_cast<int>(max_seconds)) +
                        ", got " + shown(v));
    return std::chrono::milliseconds(static_cast<long long>(v.get<double>() * 1000 + 0.5));
}

// A price per GB, in the operator's currency: a number from 0 to 1000.
double price(const json& v, const std::string& where) {
    if (!v.is_number() || !(v.get<double>() >= 0 && v.get<double>() <= kMaxPricePerGb))
        fail(where, "expected a price per GB from 0 to 1000, got " + shown(v));
    return v.get<double>();
}

using Setter = std::function<void(const json&, const std::string& where, Config&, const fs::path& base)>;

// Every key the file may hold. Anything else is refused, so a typo does not
// silently leave a default in place.
const std::map<std::string, Setter>& setters() {
    static const std::map<std::string, Setter> table = {
        {"listen", [](auto& v, auto& w, Config& c, auto&) { parse_listen(text(v, w), c, w); }},
        {"tls_listen", [](auto& v, auto& w, Config& c, auto&) {
             c.server.tls_listen.clear();
             if (v.is_string()) return add_tls_listen(v.template get<std::string>(), c, w);
             if (!v.is_array()) fail(w, "expected \"HOST:PORT\" or a list of them, got " + shown(v));
             for (const auto& one : v) add_tls_listen(text(one, w), c, w);
         }},
        {"tls_certificate", [](auto& v, auto& w, Config& c, const fs::path& base) {
             c.server.tls_certificate = (base / text(v, w)).lexically_normal().string();
         }},
        {"tls_certificate_key", [](auto& v, auto& w, Config& c, const fs::path& base) {
             c.server.tls_certificate_key = (base / text(v, w)).lexically_normal().string();
         }},
        {"http_redirect_to_https", [](auto& v, auto& w, Config& c, auto&) { c.http_redirect_to_https = boolean(v, w); }},
        {"acme_challenge_dir", [](auto& v, auto& w, Config& c, const fs::path& base) {
             c.routes.acme_challenge_dir = (base / text(v, w)).lexically_normal().string();
         }},
        {"threads", [](auto& v, auto& w, Config& c, auto&) { c.server.threads = static_cast<unsigned>(whole_number(v, w, 0, 1024)); }},
        {"max_connections", [](auto& v, auto& w, Config& c, auto&) { c.server.max_connections = whole_number(v, w, 1, 10000000); }},
        {"max_header_bytes", [](auto& v, auto& w, Config& c, auto&) { c.server.max_header_bytes = byte_size(v, w, 1024, 1 << 20); }},
        {"max_request_line", [](auto& v, auto& w, Config& c, auto&) { c.server.max_request_line = byte_size(v, w, 256, 1 << 20); }},
        {"header_timeout", [](auto& v, auto& w, Config& c, auto&) { c.server.header_timeout = seconds(v, w); }},
        {"keepalive_timeout", [](auto& v, auto& w, Config& c, auto&) { c.server.keepalive_timeout = seconds(v, w); }},
        {"send_timeout", [](auto& v, auto& w, Config& c, auto&) { c.server.send_timeout = seconds(v, w); }},
        {"access_log", [](auto& v, auto& w, Config& c, const fs::path& base) {
             std::string s = text(v, w);
             c.server.access_log = (s.empty() || s == "-") ? s : (base / s).lexically_normal().string();
         }},
        {"cache_dir", [](auto& v, auto& w, Config& c, const fs::path& base) { c.fill.cache_dir = base / text(v, w); }},
        // The original project's name for the cache directory, relative to the config file.
        {"cache_folder", [](auto& v, auto& w, Config& c, const fs::path& base) { c.fill.cache_dir = base / text(v, w); }},
        {"static_prefix", [](auto& v, auto& w, Config& c, auto&) { c.routes.static_prefix = text(v, w); }},
        {"cache_control", [](auto& v, auto& w, Config& c, auto&) { c.routes.cache_control = text(v, w); }},
        {"public_base_url", [](auto& v, auto& w, Config& c, auto&) { c.routes.public_base_url = text(v, w); }},
        {"stream_misses", [](auto& v, auto& w, Config& c, auto&) { c.routes.stream_misses = boolean(v, w); }},
        {"stream_start_wait", [](auto& v, auto& w, Config& c, auto&) {
             c.routes.stream_start_wait = fractional_seconds(v, w, 60);
         }},
        {"url_signing_secret_file", [](auto& v, auto& w, Config& c, const fs::path& base) {
             c.url_signing_secret_file = base / text(v, w);
         }},
        {"url_signing_ttl", [](auto& v, auto& w, Config& c, auto&) {
             c.routes.url_signing_ttl = std::chrono::seconds(whole_number(v, w, 1, kMaxSigningTtl));
         }},
        {"origin_price_per_gb", [](auto& v, auto& w, Config& c, auto&) { c.routes.origin_price_per_gb = price(v, w); }},
        {"origin_unreachable_window", [](auto& v, auto& w, Config& c, auto&) {
             c.routes.origin_unreachable_window = seconds(v, w);
         }},
        {"small_file_cache", [](auto& v, auto& w, Config& c, auto&) {
             c.routes.small_files.cache_bytes = byte_size(v, w, 0, kMaxByteSize);
         }},
        {"origin", [](auto& v, auto& w, Config& c, auto&) { c.origin.url = text(v, w); }},
        // The original project's name for the origin.
        {"download_base_url", [](auto& v, auto& w, Config& c, auto&) { c.origin.url = text(v, w); }},
        {"origin_connect_timeout", [](auto& v, auto& w, Config& c, auto&) { c.origin.connect_timeout = seconds(v, w); }},
        {"origin_low_speed_time", [](auto& v, auto& w, Config& c, auto&) { c.origin.low_speed_time = seconds(v, w); }},
        {"origin_timeout", [](auto& v, auto& w, Config& c, auto&) { c.origin.total_timeout = seconds(v, w); }},
        {"s3_access_key_id", [](auto& v, auto& w, Config& c, auto&) { c.origin.s3_access_key = text(v, w); }},
        {"s3_secret_access_key", [](auto& v, auto& w, Config& c, auto&) { c.origin.s3_secret_key = text(v, w); }},
        {"s3_session_token", [](auto& v, auto& w, Config& c, auto&) { c.origin.s3_session_token = text(v, w); }},
        {"s3_region", [](auto& v, auto& w, Config& c, auto&) { c.origin.s3_region = text(v, w); }},
        {"s3_endpoint_url", [](auto& v, auto& w, Config& c, auto&) { c.origin.s3_endpoint = text(v, w); }},
        {"presign_expiry", [](auto& v, auto& w, Config& c, auto&) { c.origin.presign_expiry = seconds(v, w); }},
        {"fill_workers", [](auto& v, auto& w, Config& c, auto&) { c.fill.workers = static_cast<unsigned>(whole_number(v, w, 1, 256)); }},
        {"max_queued_fills", [](auto& v, auto& w, Config& c, auto&) { c.fill.max_queued = whole_number(v, w, 1, 10000000); }},
        {"max_file_size", [](auto& v, auto& w, Config& c, auto&) { c.fill.max_file_size = byte_size(v, w, 0, kMaxByteSize); }},
        {"max_cache_size", [](auto& v, auto& w, Config& c, auto&) { c.fill.max_cache_bytes = byte_size(v, w, 0, kMaxByteSize); }},
        {"min_free", [](auto& v, auto& w, Config& c, auto&) {
             if (v.is_string()) return parse_min_free(v.template get<std::string>(), c, w);
             c.fill.min_free_bytes = byte_size(v, w, 0, kMaxByteSize);
             c.fill.min_free_percent = 0;
         }},
        {"negative_cache_time", [](auto& v, auto& w, Config& c, auto&) { c.fill.negative_ttl = seconds(v, w); }},
        {"retry_min", [](auto& v, auto& w, Config& c, auto&) { c.fill.retry_min = seconds(v, w); }},
        {"retry_max", [](auto& v, auto& w, Config& c, auto&) { c.fill.retry_max = seconds(v, w); }},
        {"revalidate_after", [](auto& v, auto& w, Config& c, auto&) { c.fill.revalidate_after = seconds(v, w); }},
        {"admin_token_file", [](auto& v, auto& w, Config& c, const fs::path& base) { c.admin.token_file = base / text(v, w); }},
        {"admin_listen", [](auto& v, auto& w, Config& c, auto&) {
             c.admin.listen = text(v, w);
             server::ServerOptions check;
             if (!c.admin.listen.empty()) parse_listen(c.admin.listen, check, w);
         }},
    };
    return table;
}

// HTTPS: the listeners, the pair they serve (loaded once here, so a bad one
// is a configuration error at start), the redirect and the ACME folder.
void validate_tls(Config& cfg) {
    const auto& s = cfg.server;
    if (s.tls_listen.empty()) {
        if (!s.tls_certificate.empty() || !s.tls_certificate_key.empty())
            fail("tls_certificate", "set, but no tls_listen to serve it on");
        if (cfg.http_redirect_to_https) fail("http_redirect_to_https", "set, but there is no tls_listen to redirect to");
    } else {
        if (s.tls_certificate.empty())
            fail("tls_listen", "set, but tls_certificate is not (the certificate in PEM, followed by its chain)");
        if (s.tls_certificate_key.empty()) fail("tls_listen", "set, but tls_certificate_key is not (its private key in PEM)");
        auto context = server::TlsContext::load({s.tls_certificate, s.tls_certificate_key});
        if (!context) throw ConfigError(context.error().message);
    }
    cfg.routes.https_redirect_port = 0;
    if (cfg.http_redirect_to_https) {
        cfg.routes.https_redirect_port = s.tls_listen.front().port;
        if (cfg.routes.https_redirect_port == 0)
            fail("http_redirect_to_https", "the first tls_listen needs a port number to redirect to, not 0");
    }
    const std::string& acme = cfg.routes.acme_challenge_dir;
    std::error_code ec;
    if (!acme.empty() && !fs::is_directory(acme, ec))
        fail("acme_challenge_dir " + acme, fs::exists(acme, ec) ? "is not a directory" : "does not exist");
}

}  // namespace

void parse_listen(const std::string& value, Config& cfg, const std::string& where) {
    parse_listen(value, cfg.server, where);
}

void parse_listen(const std::string& value, server::ServerOptions& server, const std::string& where) {
    auto colon = value.rfind(':');
    if (colon == std::string::npos) fail(where, "expected HOST:PORT, got '" + value + "'");
    std::string host = value.substr(0, colon);
    std::string port = value.substr(colon + 1);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    else if (host.find(':') != std::string::npos) fail(where, "an IPv6 address needs brackets: [" + host + "]:" + port);
    if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos ||
        std::stoul(port) > 65535)
        fail(where, "port must be a number from 0 to 65535, got '" + port + "'");
    if (http::has_control_characters(host) || host.find_first_of(" /") != std::string::npos)
        fail(where, "bad host '" + host + "'");
    server.host = host;
    server.port = static_cast<std::uint16_t>(std::stoul(port));
}

void add_tls_listen(const std::string& value, Config& cfg, const std::string& where) {
    server::ServerOptions parsed;
    parse_listen(value, parsed, where);
    cfg.server.tls_listen.push_back({parsed.host, parsed.port});
}

std::uint64_t parse_size(const std::string& text, const std::string& where) {
    auto n = parse_byte_size(text);
    if (!n) fail(where, n.error().message);
    return *n;
}

void parse_min_free(const std::string& text, Config& cfg, const std::string& where) {
    auto floor = parse_free_space_floor(text);
    if (!floor) fail(where, floor.error().message);
    cfg.fill.min_free_bytes = floor->is_percent ? 0 : floor->bytes;
    cfg.fill.min_free_percent = floor->is_percent ? floor->percent : 0;
}

void load_config_file(const fs::path& file, Config& cfg) {
    std::ifstream in(file);
    if (!in) fail("config " + file.string(), "cannot read the file");
    std::stringstream text;
    text << in.rdbuf();
    json doc;
    try {
        doc = json::parse(text.str());
    } catch (const json::exception& e) {
        // A syntax error (parse_error), or a number too large for a double
        // (out_of_range 406: "1e999"). nlohmann's message names the byte
        // offset or the number; keep it on one line.
        fail("config " + file.string(), std::string("not valid JSON: ") + e.what());
    }
    if (!doc.is_object()) fail("config " + file.string(), "expected a JSON object at the top level");
    fs::path base = fs::absolute(file).parent_path();
    for (auto& [key, value] : doc.items()) {
        std::string where = "config " + file.string() + ": key '" + key + "'";
        auto it = setters().find(key);
        if (it == setters().end()) fail("config " + file.string(), "unknown key '" + key + "'");
        it->second(value, where, cfg, base);
    }
}

std::string load_admin_token(const Config& cfg, bool warn) {
    std::string token;
    std::string where;
    const char* env = std::getenv("CACHE_TIER_ADMIN_TOKEN");
    if (!cfg.admin.token_file.empty()) {
        where = "admin_token_file " + cfg.admin.token_file.string();
        std::ifstream in(cfg.admin.token_file);
        if (!in) fail(where, std::string("cannot read the file: ") + std::strerror(errno));
        std::getline(in, token);
        struct stat st {};
        // The token opens the admin API to whoever reads it.
        if (warn && ::stat(cfg.admin.token_file.c_str(), &st) == 0 && (st.st_mode & (S_IROTH | S_IWOTH)))
            spdlog::warn("{}: other users may read or write it (chmod 600 it)", where);
    } else if (env && *env) {
        token = env;
        where = "CACHE_TIER_ADMIN_TOKEN";
    } else {
        return "";
    }
    // A trailing newline (and a Windows CR) is the file's, not the token's.
    while (!token.empty() && (token.back() == '\r' || token.back() == ' ' || token.back() == '\t')) token.pop_back();
    if (token.empty()) fail(where, "the admin token is empty");
    if (http::has_control_characters(token) || token.find(' ') != std::string::npos)
        fail(where, "the admin token must not contain spaces or control characters");
    if (warn && token.size() < 16) spdlog::warn("{}: the admin token is short ({} characters); 32 random ones are better", where, token.size());
    return token;
}

void validate_config(Config& cfg) {
    if (cfg.fill.cache_dir.empty()) fail("cache directory", "not set (use --cache-dir DIR or \"cache_dir\" in the config)");
    std::error_code ec;
    if (!fs::exists(cfg.fill.cache_dir, ec)) fail("cache directory " + cfg.fill.cache_dir.string(), "does not exist");
    if (!fs::is_directory(cfg.fill.cache_dir, ec)) fail("cache directory " + cfg.fill.cache_dir.string(), "is not a directory");
    cfg.fill.cache_dir = fs::canonical(cfg.fill.cache_dir, ec);
    if (::access(cfg.fill.cache_dir.c_str(), W_OK | X_OK) != 0)
        fail("cache directory " + cfg.fill.cache_dir.string(), "is not writable");
    for (auto sub : {store::kTempDir, store::kMetaDir}) {
        fs::create_directories(cfg.fill.cache_dir / sub, ec);
        if (ec) fail("cache directory " + cfg.fill.cache_dir.string(), "cannot create " + std::string(sub) + ": " + ec.message());
    }

    auto& p = cfg.routes.static_prefix;
    if (p.size() < 3 || p.front() != '/' || p.back() != '/' || p.find("//") != std::string::npos ||
        http::has_control_characters(p) || p.find_first_of(" ?#%\\\"") != std::string::npos)
        fail("static_prefix '" + p + "'", "must be a path like /static/files_cache/ (starting and ending with '/')");
    if (p.starts_with("/verify/") || p.starts_with("/download/") || p.starts_with(routes::kAdminPrefix))
        fail("static_prefix '" + p + "'", "must not overlap the /verify/, /download/ and /admin/ endpoints");
    if (http::has_control_characters(cfg.routes.cache_control))
        fail("cache_control", "must not contain control characters");
    if (!cfg.routes.public_base_url.empty()) {
        if (!(cfg.routes.public_base_url.starts_with("http://") || cfg.routes.public_base_url.starts_with("https://")) ||
            http::has_control_characters(cfg.routes.public_base_url) || cfg.routes.public_base_url.find(' ') != std::string::npos)
            fail("public_base_url '" + cfg.routes.public_base_url + "'", "must be an http:// or https:// URL");
        while (cfg.routes.public_base_url.ends_with('/')) cfg.routes.public_base_url.pop_back();
    }
    if (!cfg.origin.url.empty() && http::has_control_characters(cfg.origin.url))
        fail("origin", "must not contain control characters");
    if (cfg.fill.retry_min > cfg.fill.retry_max) fail("retry_min", "must not be larger than retry_max");
    // Flags skip the config file's per-key checks, so the ranges are checked again here.
    if (cfg.server.threads > 1024) fail("threads", "must be from 0 (one per core) to 1024, got " + std::to_string(cfg.server.threads));
    if (cfg.fill.workers == 0 || cfg.fill.workers > 256)
        fail("fill_workers", "must be from 1 to 256, got " + std::to_string(cfg.fill.workers));
    if (cfg.server.max_connections == 0) fail("max_connections", "must be at least 1");
    const auto ttl = cfg.routes.url_signing_ttl.count();
    if (ttl < 1 || static_cast<std::uint64_t>(ttl) > kMaxSigningTtl)
        fail("url_signing_ttl", "must be from 1 to " + std::to_string(kMaxSigningTtl) + " seconds, got " + std::to_string(ttl));
    if (!cfg.url_signing_secret_file.empty()) {
        auto secret = signing::read_secret_file(cfg.url_signing_secret_file.string());
        if (!secret) throw ConfigError(secret.error().message);
        cfg.routes.url_signing_secret = std::move(*secret);
    }
    if (cfg.fill.max_queued == 0) fail("max_queued_fills", "must be at least 1");
    validate_tls(cfg);
    if (!(cfg.routes.origin_price_per_gb >= 0 && cfg.routes.origin_price_per_gb <= kMaxPricePerGb))
        fail("origin_price_per_gb", "must be a price per GB from 0 to 1000, got " + std::to_string(cfg.routes.origin_price_per_gb));
}

}  // namespace cache_tier::app
