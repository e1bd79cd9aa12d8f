// `cache-tier serve`: read the configuration, then run the server until a
// signal stops it. Every configuration problem ends here with exit status 2
// and one line on stderr saying what is wrong and where.
#include "app/serve_command.hpp"

#include <fmt/core.h>
#include <spdlog/spdlog.h>

#include <sys/stat.h>

#include <iostream>
#include <memory>
#include <optional>
#include <thread>

#include "app/config.hpp"
#include "fill/fill_engine.hpp"
#include "routes/routes.hpp"
#include "server/server.hpp"

namespace cache_tier::app {

namespace {

// Flags as given; unset ones leave the config file's value (or the default).
struct ServeFlags {
    std::optional<std::string> config, listen, cache_dir, origin, access_log, cache_control, static_prefix,
        public_base_url, log_level, url_signing_secret_file, max_file_size, max_cache_size, min_free,
        admin_token_file, admin_listen, tls_certificate, tls_certificate_key, acme_challenge_dir;
    std::optional<std::vector<std::string>> tls_listen;
    std::optional<std::int64_t> url_signing_ttl;
    std::optional<unsigned> threads, fill_workers;
    std::optional<std::size_t> max_connections, max_queued_fills;
    std::optional<std::uint64_t> negative_cache_time, revalidate_after;
    std::optional<bool> stream_misses, http_redirect_to_https;
    std::optional<double> stream_start_wait, origin_price_per_gb;
};

void apply_flags(const ServeFlags& f, Config& cfg) {
    if (f.listen) parse_listen(*f.listen, cfg, "--listen");
    if (f.cache_dir) cfg.fill.cache_dir = *f.cache_dir;
    if (f.origin) cfg.origin.url = *f.origin;
    if (f.access_log) cfg.server.access_log = *f.access_log;
    if (f.cache_control) cfg.routes.cache_control = *f.cache_control;
    if (f.static_prefix) cfg.routes.static_prefix = *f.static_prefix;
    if (f.public_base_url) cfg.routes.public_base_url = *f.public_base_url;
    if (f.url_signing_secret_file) cfg.url_signing_secret_file = *f.url_signing_secret_file;
    if (f.url_signing_ttl) cfg.routes.url_signing_ttl = std::chrono::seconds(*f.url_signing_ttl);
    if (f.threads) cfg.server.threads = *f.threads;
    if (f.fill_workers) cfg.fill.workers = *f.fill_workers;
    if (f.max_connections) cfg.server.max_connections = *f.max_connections;
    if (f.max_queued_fills) cfg.fill.max_queued = *f.max_queued_fills;
    if (f.max_file_size) cfg.fill.max_file_size = parse_size(*f.max_file_size, "--max-file-size");
    if (f.max_cache_size) cfg.fill.max_cache_bytes = parse_size(*f.max_cache_size, "--max-cache-size");
    if (f.min_free) parse_min_free(*f.min_free, cfg, "--min-free");
    if (f.negative_cache_time) cfg.fill.negative_ttl = std::chrono::seconds(*f.negative_cache_time);
    if (f.revalidate_after) cfg.fill.revalidate_after = std::chrono::seconds(*f.revalidate_after);
    if (f.stream_misses) cfg.routes.stream_misses = *f.stream_misses;
    if (f.origin_price_per_gb) cfg.routes.origin_price_per_gb = *f.origin_price_per_gb;
    if (f.admin_token_file) cfg.admin.token_file = *f.admin_token_file;
    if (f.admin_listen) cfg.admin.listen = *f.admin_listen;
    if (f.tls_listen) {
        cfg.server.tls_listen.clear();
        for (const auto& one : *f.tls_listen) add_tls_listen(one, cfg, "--tls-listen");
    }
    if (f.tls_certificate) cfg.server.tls_certificate = *f.tls_certificate;
    if (f.tls_certificate_key) cfg.server.tls_certificate_key = *f.tls_certificate_key;
    if (f.http_redirect_to_https) cfg.http_redirect_to_https = *f.http_redirect_to_https;
    if (f.acme_challenge_dir) cfg.routes.acme_challenge_dir = *f.acme_challenge_dir;
    if (f.stream_start_wait)
        cfg.routes.stream_start_wait = std::chrono::milliseconds(static_cast<long long>(*f.stream_start_wait * 1000 + 0.5));
}

// The admin listener: the main one's limits and log, its own address, one thread.
server::ServerOptions admin_server_options(const Config& cfg) {
    server::ServerOptions admin = cfg.server;
    parse_listen(cfg.admin.listen, admin, "admin_listen");
    admin.threads = 1;
    admin.tls_listen.clear();  // the admin listener is plain HTTP, for the operator's own network
    return admin;
}

// Runs the main server and, when admin_listen is set, the admin one beside
// it; both stop on the same signal.
void serve(const Config& cfg, fill::FillEngine* fills, std::shared_ptr<const routes::AdminContext> admin) {
    const bool separate = admin && !cfg.admin.listen.empty();
    server::Server srv(cfg.server, routes::make_router_factory(cfg.routes, cfg.fill.cache_dir.string(), fills,
                                                               separate ? nullptr : admin));
    std::unique_ptr<server::Server> admin_srv;
    if (separate)
        admin_srv = std::make_unique<server::Server>(admin_server_options(cfg), routes::make_admin_router_factory(admin));
    spdlog::info("cache-tier {} listening on {}:{}, cache {}, origin {}, open file limit {}", CACHE_TIER_VERSION,
                 cfg.server.host, srv.port(), cfg.fill.cache_dir.string(),
                 cfg.origin.url.empty() ? "none" : cfg.origin.url, server::raise_open_file_limit());
    if (!cfg.routes.url_signing_secret.empty()) {
        spdlog::info("files under {} are served on signed links only; /download's links are valid {} s",
                     cfg.routes.static_prefix, cfg.routes.url_signing_ttl.count());
        // Anyone who can read the secret can sign links to every file.
        struct stat st {};
        if (::stat(cfg.url_signing_secret_file.c_str(), &st) == 0 && (st.st_mode & S_IROTH))
            spdlog::warn("URL signing secret file {} is readable by every user of this machine (chmod o-r)",
                         cfg.url_signing_secret_file.string());
    }
    if (admin_srv)
        spdlog::info("admin API on its own listener {}:{}", admin_server_options(cfg).host, admin_srv->port());
    else
        spdlog::info(admin ? "admin API under /admin/" : "admin API off (no admin token)");
    if (!admin_srv) return srv.run();
    std::thread admin_thread([&] {
        try {
            admin_srv->run();
        } catch (const std::exception& e) {
            spdlog::error("admin listener: {}", e.what());
            srv.stop();
        }
    });
    // Either ends the other: a signal reaches both, a failure of one stops the other.
    struct JoinAdmin {
        server::Server& admin;
        std::thread& thread;
        ~JoinAdmin() {
            admin.stop();
            thread.join();
        }
    } join{*admin_srv, admin_thread};
    srv.run();
}

int run_serve(const ServeFlags& flags) {
    Config cfg;
    std::unique_ptr<fill::FillEngine> fills;
    std::shared_ptr<routes::AdminContext> admin;
    try {
        if (flags.config) load_config_file(*flags.config, cfg);
        apply_flags(flags, cfg);
        validate_config(cfg);
        if (!cfg.admin.listen.empty()) admin_server_options(cfg);  // a bad --admin-listen is a usage error
        if (std::string token = load_admin_token(cfg); !token.empty())
            admin = std::make_shared<routes::AdminContext>(routes::AdminContext{std::move(token), nullptr});
        else if (!cfg.admin.listen.empty())
            throw ConfigError("admin_listen: set, but no admin token (admin_token_file or CACHE_TIER_ADMIN_TOKEN)");
        if (!cfg.origin.url.empty())
            fills = std::make_unique<fill::FillEngine>(cfg.fill, origins::make_origin(cfg.origin));
    } catch (const ConfigError& e) {
        std::cerr << "cache-tier serve: " << e.what() << "\n";
        return 2;
    } catch (const std::invalid_argument& e) {  // make_origin's complaints about the origin URL
        std::cerr << "cache-tier serve: origin: " << e.what() << "\n";
        return 2;
    } catch (const std::runtime_error& e) {  // the fill engine cannot set up its folders
        std::cerr << "cache-tier serve: " << e.what() << "\n";
        return 2;
    }

    if (admin) admin->fills = fills.get();
    try {
        serve(cfg, fills.get(), admin);
    } catch (const std::exception& e) {
        std::cerr << "cache-tier serve: " << e.what() << "\n";
        return 1;
    }
    return 0;
}

}  // namespace

void add_serve_command(CLI::App& app, int& exit_code) {
    auto flags = std::make_shared<ServeFlags>();
    // The help shows the defaults of the option structs themselves.
    const Config defaults;
    CLI::App* cmd = app.add_subcommand("serve", "Serve the cache directory and fill it from the origin");
    cmd->add_option("--config", flags->config, "JSON config file (flags override it)");
    cmd->add_option("--listen", flags->listen, fmt::format("HOST:PORT to listen on (default {}:{})", defaults.server.host, defaults.server.port));
    cmd->add_option("--cache-dir", flags->cache_dir, "Directory of the local copies");
    cmd->add_option("--origin", flags->origin, "Origin base URL: http(s)://..., s3://bucket/prefix or file:///dir");
    cmd->add_option("--threads", flags->threads, "Server threads (default: one per core)");
    cmd->add_option("--access-log", flags->access_log, "Access log file, or - for stdout (default: off)");
    cmd->add_option("--cache-control", flags->cache_control, fmt::format("Cache-Control header of served files (default '{}')", defaults.routes.cache_control));
    cmd->add_option("--static-prefix", flags->static_prefix, fmt::format("Public path of the files (default {})", defaults.routes.static_prefix));
    cmd->add_option("--public-base-url", flags->public_base_url, "Absolute base for /download redirects");
    cmd->add_option("--url-signing-secret-file", flags->url_signing_secret_file,
                    "File holding the secret that signs links to the files (docs/signed-links.md; default: links are not signed)");
    cmd->add_option("--url-signing-ttl", flags->url_signing_ttl,
                    fmt::format("Seconds a signed link from /download stays valid (default {})", defaults.routes.url_signing_ttl.count()));
    cmd->add_option("--fill-workers", flags->fill_workers, fmt::format("Concurrent origin fetches (default {})", defaults.fill.workers));
    cmd->add_option("--max-queued-fills", flags->max_queued_fills, fmt::format("Fills waiting for a worker (default {})", defaults.fill.max_queued));
    cmd->add_option("--max-file-size", flags->max_file_size,
                    fmt::format("Largest file fetched from the origin: bytes, or with K, M, G, T (powers of 1024) (0: no limit; default {})",
                                defaults.fill.max_file_size));
    cmd->add_option("--max-cache-size", flags->max_cache_size,
                    fmt::format("Hard cap on the cache directory's size on disk, as --max-file-size; least recently used files are evicted to make room (0: no cap; default {})",
                                defaults.fill.max_cache_bytes));
    cmd->add_option("--min-free", flags->min_free,
                    fmt::format("Free space kept on the cache's file system: a size, or a percentage such as 5% (0: none; default {})",
                                defaults.fill.min_free_bytes));
    cmd->add_option("--negative-cache-time", flags->negative_cache_time, fmt::format("Seconds an origin 404 is remembered (default {})", defaults.fill.negative_ttl.count()));
    cmd->add_option("--revalidate-after", flags->revalidate_after, fmt::format("Seconds before a cached file is revalidated (0: never; default {})", defaults.fill.revalidate_after.count()));
    cmd->add_option("--stream-misses", flags->stream_misses,
                    fmt::format("Stream a file being filled to the users /download sends to it (default {})",
                                defaults.routes.stream_misses))
        ->expected(1);
    cmd->add_option("--stream-start-wait", flags->stream_start_wait,
                    fmt::format("Seconds /download waits for a fill's origin head before going to the origin (default {})",
                                defaults.routes.stream_start_wait.count() / 1000.0))
        ->check(CLI::Range(0.0, 60.0));
    cmd->add_option("--origin-price-per-gb", flags->origin_price_per_gb,
                    fmt::format("What the origin charges per GB sent, for the status page's savings (default {})",
                                defaults.routes.origin_price_per_gb));
    cmd->add_option("--admin-token-file", flags->admin_token_file,
                    "File holding the admin API's bearer token (or env CACHE_TIER_ADMIN_TOKEN; default: admin API off)");
    cmd->add_option("--admin-listen", flags->admin_listen,
                    "HOST:PORT of a listener for the admin API alone (default: under /admin/ on --listen)");
    cmd->add_option("--tls-listen", flags->tls_listen,
                    "HOST:PORT of an HTTPS listener; repeat for more (default: none)");
    cmd->add_option("--tls-certificate", flags->tls_certificate,
                    "PEM file of the HTTPS certificate, followed by its chain (SIGHUP reloads it)");
    cmd->add_option("--tls-certificate-key", flags->tls_certificate_key, "PEM file of the certificate's private key");
    cmd->add_option("--http-redirect-to-https", flags->http_redirect_to_https,
                    fmt::format("Answer plain HTTP with a 301 to the same URL over HTTPS (default {})",
                                defaults.http_redirect_to_https))
        ->expected(1);
    cmd->add_option("--acme-challenge-dir", flags->acme_challenge_dir,
                    "Folder /.well-known/acme-challenge/ is served from, for certbot --webroot (default: none)");
    cmd->add_option("--max-connections", flags->max_connections, fmt::format("Open client connections (default {})", defaults.server.max_connections));
    cmd->add_option("--log-level", flags->log_level, "trace, debug, info, warn, error or off (default info)")
        ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}));
    cmd->set_version_flag("--version", CACHE_TIER_VERSION);
    cmd->callback([flags, &exit_code] {
        if (flags->log_level) spdlog::set_level(spdlog::level::from_str(*flags->log_level));
        exit_code = run_serve(*flags);
    });
}

}  // namespace cache_tier::app
