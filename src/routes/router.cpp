// Picks the route by path prefix. One router per server thread: it owns that
// thread's file cache, so the static route takes no locks.
#include <memory>
#include <optional>

#include "routes/health.hpp"
#include "routes/https_redirect.hpp"
#include "routes/admin.hpp"
#include "routes/routes.hpp"
#include "store/file_cache.hpp"

namespace cache_tier::routes {

namespace {

constexpr std::string_view kVerifyPrefix = "/verify/";
constexpr std::string_view kDownloadPrefix = "/download/";

enum class Endpoint { none, static_file, verify, download, index, status_json, metrics, healthz, readyz };

struct Match {
    Endpoint endpoint = Endpoint::none;
    metrics::Route route = metrics::Route::other;
    std::string_view raw_name;  // what follows the endpoint's prefix, still percent-encoded
};

// RFC 9110 §7.1: an absolute-form target ("http://host/path") names the same
// resource as its path. nullopt for a target that is neither form.
std::optional<std::string_view> path_of(std::string_view path) {
    if (path.empty() || path.front() == '/') return path;
    const auto scheme = path.find("://");
    if (scheme == std::string_view::npos) return std::nullopt;
    const auto slash = path.find('/', scheme + 3);
    return slash == std::string_view::npos ? std::string_view("/") : path.substr(slash);
}

Match match(std::string_view path, const RouteOptions& options) {
    using metrics::Route;
    if (path.starts_with(options.static_prefix))
        return {Endpoint::static_file, Route::static_file, path.substr(options.static_prefix.size())};
    if (path.starts_with(kVerifyPrefix)) return {Endpoint::verify, Route::verify, path.substr(kVerifyPrefix.size())};
    if (path.starts_with(kDownloadPrefix))
        return {Endpoint::download, Route::download, path.substr(kDownloadPrefix.size())};
    if (path == "/") return {Endpoint::index, Route::index, {}};
    if (path == "/status.json") return {Endpoint::status_json, Route::index, {}};
    if (path == "/metrics") return {Endpoint::metrics, Route::metrics, {}};
    if (path == "/healthz") return {Endpoint::healthz, Route::health, {}};
    if (path == "/readyz") return {Endpoint::readyz, Route::health, {}};
    return {};
}

class Router final : public http::Handler {
public:
    Router(std::shared_ptr<const RouteOptions> options, const std::string& cache_dir, fill::FillEngine* fills,
           std::shared_ptr<Readiness> readiness, std::shared_ptr<const AdminContext> admin)
        : keep_(std::move(options)),
          options_(*keep_),
          files_(cache_dir, options_.small_files),
          fills_(fills),
          readiness_(std::move(readiness)),
          admin_(std::move(admin)) {}

    // HEAD is answered as GET; the server core leaves the content out (RFC 9110 §9.3.2).
    void handle(const http::Request& req, http::Response& out) override {
        const auto path = path_of(req.path());
        if (!path) return http::error_response(out, 400, "bad request target");
        if (!options_.acme_challenge_dir.empty() && path->starts_with(kAcmeChallengePrefix))
            return handle_acme_challenge(req, path->substr(kAcmeChallengePrefix.size()), out,
                                         options_.acme_challenge_dir);
        if (options_.https_redirect_port != 0 && !req.secure)
            return handle_https_redirect(req, *path, out, options_.https_redirect_port);
        if (admin_ && path->starts_with(kAdminPrefix)) return handle_admin(req, *path, out, *admin_);
        const Match m = match(*path, options_);
        out.route = m.route;
        if (m.endpoint == Endpoint::none) return http::error_response(out, 404, "no such endpoint");
        // Every endpoint only reads; §15.5.6: a 405 says in Allow what would do.
        if (req.method != http::Method::get && req.method != http::Method::head) {
            http::error_response(out, 405, "method not allowed");
            return out.add_header("Allow", "GET, HEAD");
        }
        RouteContext ctx{options_, fills_, files_, *readiness_};
        switch (m.endpoint) {
            // stream_misses false: the original's behaviour, a file is served once it is whole.
            case Endpoint::static_file:
                return handle_static(req, m.raw_name, out, files_, options_, options_.stream_misses ? fills_ : nullptr);
            case Endpoint::verify: return handle_verify(req, m.raw_name, out, ctx);
            case Endpoint::download: return handle_download(req, m.raw_name, out, ctx);
            case Endpoint::index: return handle_index(req, out, options_);
            case Endpoint::status_json: return handle_status_json(out, ctx);
            case Endpoint::metrics: return handle_metrics(out, ctx);
            case Endpoint::healthz: return handle_healthz(out);
            case Endpoint::readyz: return handle_readyz(out, ctx);
            case Endpoint::none: break;
        }
    }

    std::size_t max_body(const http::Request& req) override { return admin_ ? admin_max_body(req, *admin_) : 0; }

    // Lets go of deleted and idle files' descriptors, so their disk space is freed.
    void tick(std::int64_t date) override { files_.maintain(date); }

private:
    std::shared_ptr<const RouteOptions> keep_;
    const RouteOptions& options_;
    store::FileCache files_;
    fill::FillEngine* fills_;
    std::shared_ptr<Readiness> readiness_;
    std::shared_ptr<const AdminContext> admin_;  // null: no /admin/ here
};

}  // namespace

http::HandlerFactory make_router_factory(RouteOptions options, std::string cache_dir, fill::FillEngine* fills,
                                         std::shared_ptr<const AdminContext> admin) {
    auto shared = std::make_shared<const RouteOptions>(std::move(options));
    auto readiness = std::make_shared<Readiness>(cache_dir, shared->origin_unreachable_window);
    return [shared, cache_dir = std::move(cache_dir), fills, readiness, admin]() -> std::unique_ptr<http::Handler> {
        return std::make_unique<Router>(shared, cache_dir, fills, readiness, admin);
    };
}

}  // namespace cache_tier::routes
