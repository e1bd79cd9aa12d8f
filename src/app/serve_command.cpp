// `cache-tier serve`: read the configuration, then run the server until a
// signal stops it. Every configuration problem ends here with exit status 2
// and one line on stderr saying what is wrong and where.
#include "app/serve_command.hpp"

#include <spdlog/spdlog.h>

#include <iostream>
#include <optional>

#include "app/config.hpp"
#include "fill/fill_engine.hpp"
#include "routes/routes.hpp"
#include "server/server.hpp"

namespace cache_tier::app {

namespace {

// Flags as given; unset ones leave the config file's value (or the default).
struct ServeFlags {
    std::optional<std::string> config, listen, cache_dir, origin, access_log, cache_control, static_prefix,
        public_base_url, log_level;
    std::optional<unsigned> threads, fill_workers;
    std::optional<std::size_t> max_connections, max_queued_fills;
    std::optional<std::uint64_t> max_file_size, max_cache_size, negative_cache_time, revalidate_after;
};

void apply_flags(const ServeFlags& f, Config& cfg) {
    if (f.listen) parse_listen(*f.listen, cfg, "--listen");
    if (f.cache_dir) cfg.cache_dir = *f.cache_dir;
    if (f.origin) cfg.origin.url = *f.origin;
    if (f.access_log) cfg.access_log = *f.access_log;
    if (f.cache_control) cfg.cache_control = *f.cache_control;
    if (f.static_prefix) cfg.static_prefix = *f.static_prefix;
    if (f.public_base_url) cfg.public_base_url = *f.public_base_url;
    if (f.threads) cfg.threads = *f.threads;
    if (f.fill_workers) cfg.fill_workers = *f.fill_workers;
    if (f.max_connections) cfg.max_connections = *f.max_connections;
    if (f.max_queued_fills) cfg.max_queued_fills = *f.max_queued_fills;
    if (f.max_file_size) cfg.max_file_size = *f.max_file_size;
    if (f.max_cache_size) cfg.max_cache_bytes = *f.max_cache_size;
    if (f.negative_cache_time) cfg.negative_cache_time = std::chrono::seconds(*f.negative_cache_time);
    if (f.revalidate_after) cfg.revalidate_after = std::chrono::seconds(*f.revalidate_after);
}

server::ServerOptions server_options(const Config& cfg) {
    server::ServerOptions o;
    o.host = cfg.listen_host;
    o.port = cfg.listen_port;
    o.threads = cfg.threads;
    o.max_connections = cfg.max_connections;
    o.max_header_bytes = cfg.max_header_bytes;
    o.max_request_line = cfg.max_request_line;
    o.header_timeout = cfg.header_timeout;
    o.keepalive_timeout = cfg.keepalive_timeout;
    o.send_timeout = cfg.send_timeout;
    o.access_log = cfg.access_log;
    return o;
}

fill::FillOptions fill_options(const Config& cfg) {
    fill::FillOptions o;
    o.cache_dir = cfg.cache_dir;
    o.workers = cfg.fill_workers;
    o.max_queued = cfg.max_queued_fills;
    o.max_file_size = cfg.max_file_size;
    o.max_cache_bytes = cfg.max_cache_bytes;
    o.negative_ttl = cfg.negative_cache_time;
    o.retry_min = cfg.retry_min;
    o.retry_max = cfg.retry_max;
    o.revalidate_after = cfg.revalidate_after;
    return o;
}

int run_serve(const ServeFlags& flags) {
    Config cfg;
    std::unique_ptr<fill::FillEngine> fills;
    try {
        if (flags.config) load_config_file(*flags.config, cfg);
        apply_flags(flags, cfg);
        validate_config(cfg);
        if (!cfg.origin.url.empty())
            fills = std::make_unique<fill::FillEngine>(fill_options(cfg), origins::make_origin(cfg.origin));
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

    auto open_files = server::raise_open_file_limit();
    routes::RouteOptions route_options;
    route_options.static_prefix = cfg.static_prefix;
    route_options.cache_control = cfg.cache_control;
    route_options.public_base_url = cfg.public_base_url;
    try {
        server::Server srv(server_options(cfg),
                           routes::make_router_factory(route_options, cfg.cache_dir.string(), fills.get()));
        spdlog::info("cache-tier {} listening on {}:{}, cache {}, origin {}, open file limit {}", CACHE_TIER_VERSION,
                     cfg.listen_host, srv.port(), cfg.cache_dir.string(),
                     cfg.origin.url.empty() ? "none" : cfg.origin.url, open_files);
        srv.run();
    } catch (const std::exception& e) {
        std::cerr << "cache-tier serve: " << e.what() << "\n";
        return 1;
    }
    return 0;
}

}  // namespace

void add_serve_command(CLI::App& app, int& exit_code) {
    auto flags = std::make_shared<ServeFlags>();
    CLI::App* cmd = app.add_subcommand("serve", "Serve the cache directory and fill it from the origin");
    cmd->add_option("--config", flags->config, "JSON config file (flags override it)");
    cmd->add_option("--listen", flags->listen, "HOST:PORT to listen on (default 127.0.0.1:8080)");
    cmd->add_option("--cache-dir", flags->cache_dir, "Directory of the local copies");
    cmd->add_option("--origin", flags->origin, "Origin base URL: http(s)://..., s3://bucket/prefix or file:///dir");
    cmd->add_option("--threads", flags->threads, "Server threads (default: one per core)");
    cmd->add_option("--access-log", flags->access_log, "Access log file, or - for stdout (default: off)");
    cmd->add_option("--cache-control", flags->cache_control, "Cache-Control header of served files");
    cmd->add_option("--static-prefix", flags->static_prefix, "Public path of the files (default /static/files_cache/)");
    cmd->add_option("--public-base-url", flags->public_base_url, "Absolute base for /download redirects");
    cmd->add_option("--fill-workers", flags->fill_workers, "Concurrent origin fetches (default 4)");
    cmd->add_option("--max-queued-fills", flags->max_queued_fills, "Fills waiting for a worker (default 1000)");
    cmd->add_option("--max-file-size", flags->max_file_size, "Largest file fetched from the origin, bytes (0: no limit)");
    cmd->add_option("--max-cache-size", flags->max_cache_size,
                    "Bytes the cached files may take; least recently used ones are evicted past it (0: no limit)");
    cmd->add_option("--negative-cache-time", flags->negative_cache_time, "Seconds an origin 404 is remembered");
    cmd->add_option("--revalidate-after", flags->revalidate_after, "Seconds before a cached file is revalidated (0: never)");
    cmd->add_option("--max-connections", flags->max_connections, "Open client connections (default 10000)");
    cmd->add_option("--log-level", flags->log_level, "trace, debug, info, warn, error or off (default info)")
        ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}));
    cmd->set_version_flag("--version", CACHE_TIER_VERSION);
    cmd->callback([flags, &exit_code] {
        if (flags->log_level) spdlog::set_level(spdlog::level::from_str(*flags->log_level));
        exit_code = run_serve(*flags);
    });
}

}  // namespace cache_tier::app
