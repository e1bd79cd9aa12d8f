#pragma once
// The routes of `cache-tier serve`. Each is a plain function of the request;
// the router (router.cpp) picks one by path prefix.
#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "common/clock.hpp"
#include "http/handler.hpp"
#include "http/request.hpp"
#include "http/response.hpp"

#include "fill/fill_engine.hpp"
#include "store/name.hpp"
#include "store/small_files.hpp"

namespace cache_tier::store {
class FileCache;
}

namespace cache_tier::routes {

struct RouteOptions {
    std::string static_prefix = "/static/files_cache/";  // starts and ends with '/'
    std::string cache_control = "public, max-age=86400";
    std::string public_base_url;  // "" => redirects to the static prefix, relative
    // A /download of a file not cached yet: once its fill has the origin's
    // head (waiting up to stream_start_wait for it), send the user to the
    // local path, which streams the file as it fills; false: to the origin.
    bool stream_misses = true;
    std::chrono::milliseconds stream_start_wait{1000};
    // Not empty: files under static_prefix are served only on a valid signed
    // link (docs/signed-links.md), and /download's redirects to them carry one
    // valid for url_signing_ttl.
    std::string url_signing_secret;
    std::chrono::seconds url_signing_ttl{3600};
    // Where "now" comes from for signed links' expiry (tests move it by hand).
    const Clock* clock = &system_clock();
    // What the origin charges per GB (2^30 bytes) sent: the status page prices the bytes the cache saved.
    double origin_price_per_gb = 0.09;
    // /readyz fails while the origin's last contact within this window got no answer at all.
    std::chrono::seconds origin_unreachable_window{60};
    // Not 0: a request that did not come over TLS is answered with a 301 to
    // the same URL over HTTPS on this port (http_redirect_to_https).
    std::uint16_t https_redirect_port = 0;
    // Not empty: /.well-known/acme-challenge/<token> is served from this folder
    // (on every listener, redirecting or not), for certbot's webroot mode.
    std::string acme_challenge_dir;
    // Hot small files kept whole in memory, per server thread (store/small_files.hpp).
    store::SmallFileOptions small_files;
};

class Readiness;

struct RouteContext {
    const RouteOptions& options;
    fill::FillEngine* fills;  // null when no origin is configured
    store::FileCache& files;  // this thread's open files, shared with the static route
    Readiness& readiness;     // shared by every thread
};

// Ask the fill engine about `name` with what the static route would serve:
// /verify and /download call a file available exactly when it would be served.
fill::FileStatus ensure_servable(const store::Name& name, const RouteContext& ctx);

// GET /verify/<name>: JSON {"available","file","error","error_msg"}; starts a fill on a miss.
void handle_verify(const http::Request& req, std::string_view raw_name, http::Response& out, const RouteContext& ctx);
// GET /download/<name>: 302 to the local copy when cached, else to the origin (and a fill starts).
void handle_download(const http::Request& req, std::string_view raw_name, http::Response& out,
                     const RouteContext& ctx);
// GET/HEAD <static_prefix><name>: the cached file, with ranges and conditionals;
// with `fills`, a file still filling is streamed from its fill.
void handle_static(const http::Request& req, std::string_view raw_name, http::Response& out,
                   store::FileCache& files, const RouteOptions& options, fill::FillEngine* fills = nullptr);
// GET /: the status page (files cached, hit ratio, savings, fills, errors), refreshing itself from /status.json.
void handle_index(const http::Request& req, http::Response& out, const RouteOptions& options);
// GET /status.json: the numbers the status page shows.
void handle_status_json(http::Response& out, const RouteContext& ctx);
// GET /metrics: Prometheus text format 0.0.4.
void handle_metrics(http::Response& out, const RouteContext& ctx);
// GET /healthz: 200 while the process serves. GET /readyz: 200, or 503 with the reason.
void handle_healthz(http::Response& out);
void handle_readyz(http::Response& out, const RouteContext& ctx);

struct AdminContext;

// The router: one per server thread (it owns that thread's file cache). With
// `admin`, it serves the admin API under /admin/ too (see admin.hpp).
http::HandlerFactory make_router_factory(RouteOptions options, std::string cache_dir, fill::FillEngine* fills,
                                         std::shared_ptr<const AdminContext> admin = nullptr);

}  // namespace cache_tier::routes
