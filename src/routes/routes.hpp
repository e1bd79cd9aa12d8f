#pragma once
// The routes of `cache-tier serve`. Each is a plain function of the request;
// the router (router.cpp) picks one by path prefix.
#include <chrono>
#include <string>
#include <string_view>

#include "common/clock.hpp"
#include "http/handler.hpp"
#include "http/request.hpp"
#include "http/response.hpp"

#include "fill/fill_engine.hpp"
#include "store/name.hpp"

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
};

struct RouteContext {
    const RouteOptions& options;
    fill::FillEngine* fills;  // null when no origin is configured
    store::FileCache& files;  // this thread's open files, shared with the static route
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
// GET /: a small HTML page naming the server and its endpoints.
void handle_index(const http::Request& req, http::Response& out, const RouteOptions& options);

// The router: one per server thread (it owns that thread's file cache).
http::HandlerFactory make_router_factory(RouteOptions options, std::string cache_dir, fill::FillEngine* fills);

}  // namespace cache_tier::routes
