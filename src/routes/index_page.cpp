// GET /: a small page naming the server and its endpoints.
#include "routes/routes.hpp"

namespace cache_tier::routes {

void handle_index(const http::Request&, http::Response& out, const RouteOptions& options) {
    out.add_header("Content-Type", "text/html; charset=utf-8");
    out.add_header("Cache-Control", "no-cache");
    // The prefix comes from the operator's configuration, not from a request,
    // but is still escaped for HTML.
    std::string prefix = http::escape_header_value(options.static_prefix);
    out.body =
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>cache-tier</title></head>\n<body>\n"
        "<h1>cache-tier</h1>\n"
        "<p>A cache tier: local copies of files from an origin, served from this machine.</p>\n"
        "<ul>\n"
        "<li><code>GET /verify/&lt;name&gt;</code>: is the file cached? JSON; starts a fill if not.</li>\n"
        "<li><code>GET /download/&lt;name&gt;</code>: redirect to the local copy, or to the origin while it fills.</li>\n"
        "<li><code>GET " + prefix + "&lt;name&gt;</code>: the cached file (ranges and conditional requests).</li>\n"
        "</ul>\n</body></html>\n";
}

}  // namespace cache_tier::routes
