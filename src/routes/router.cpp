// Picks the route by path prefix. One router per server thread: it owns that
// thread's file cache, so the static route takes no locks.
#include <memory>

#include "routes/routes.hpp"
#include "store/file_cache.hpp"

namespace cache_tier::routes {

namespace {

constexpr std::string_view kVerifyPrefix = "/verify/";
constexpr std::string_view kDownloadPrefix = "/download/";

class Router final : public http::Handler {
public:
    Router(std::shared_ptr<const RouteOptions> options, const std::string& cache_dir, fill::FillEngine* fills)
        : keep_(std::move(options)), options_(*keep_), files_(cache_dir), fills_(fills) {}

    // HEAD is answered as GET; the server core leaves the content out (RFC 9110 §9.3.2).
    void handle(const http::Request& req, http::Response& out) override { route(req, out); }

    // Lets go of deleted and idle files' descriptors, so their disk space is freed.
    void tick(std::int64_t date) override { files_.maintain(date); }

private:
    void route(const http::Request& req, http::Response& out) {
        std::string_view path = req.path();
        // §7.1: absolute-form targets ("http://host/path") name the same resource.
        if (!path.empty() && path.front() != '/') {
            auto scheme = path.find("://");
            if (scheme == std::string_view::npos) return http::error_response(out, 400, "bad request target");
            auto slash = path.find('/', scheme + 3);
            path = slash == std::string_view::npos ? std::string_view("/") : path.substr(slash);
        }
        const bool readable = req.method == http::Method::get || req.method == http::Method::head;
        auto allow_get_head = [&] {
            http::error_response(out, 405, "method not allowed");
            out.add_header("Allow", "GET, HEAD");
        };
        RouteContext ctx{options_, fills_, files_};
        if (path.starts_with(options_.static_prefix)) {
            if (!readable) return allow_get_head();
            return handle_static(req, path.substr(options_.static_prefix.size()), out, files_, options_);
        }
        if (path.starts_with(kVerifyPrefix)) {
            if (!readable) return allow_get_head();
            return handle_verify(req, path.substr(kVerifyPrefix.size()), out, ctx);
        }
        if (path.starts_with(kDownloadPrefix)) {
            if (!readable) return allow_get_head();
            return handle_download(req, path.substr(kDownloadPrefix.size()), out, ctx);
        }
        if (path == "/") {
            if (!readable) return allow_get_head();
            return handle_index(req, out, options_);
        }
        http::error_response(out, 404, "no such endpoint");
    }

    std::shared_ptr<const RouteOptions> keep_;
    const RouteOptions& options_;
    store::FileCache files_;
    fill::FillEngine* fills_;
};

}  // namespace

http::HandlerFactory make_router_factory(RouteOptions options, std::string cache_dir, fill::FillEngine* fills) {
    auto shared = std::make_shared<const RouteOptions>(std::move(options));
    return [shared, cache_dir = std::move(cache_dir), fills]() -> std::unique_ptr<http::Handler> {
        return std::make_unique<Router>(shared, cache_dir, fills);
    };
}

}  // namespace cache_tier::routes
