// The admin API's endpoints. Every answer is JSON with Cache-Control:
// no-store (RFC 9111 §5.2.2.5): it describes the cache at one moment, for one
// operator, and no cache between must keep it.
#include "routes/admin.hpp"

#include <nlohmann/json.hpp>

#include <unordered_set>

#include "routes/admin_parse.hpp"
#include "store/name.hpp"

namespace cache_tier::routes {

namespace {

using json = nlohmann::ordered_json;

constexpr std::string_view kFiles = "files";
constexpr std::string_view kFilesPrefix = "files/";
constexpr std::string_view kRefreshPrefix = "refresh/";
constexpr std::string_view kWarm = "warm";

void send_json(http::Response& out, int status, const json& body) {
    out.status = status;
    out.file.reset();
    out.add_header("Content-Type", "application/json");
    out.add_header("Cache-Control", "no-store");
    // Names are bytes: any that are not UTF-8 are shown with U+FFFD, never refused.
    out.body = body.dump(-1, ' ', false, json::error_handler_t::replace);
    out.body.push_back('\n');
}

// Every admin error has the same shape: {"error": "...", "status": N}.
void send_error(http::Response& out, int status, std::string_view message) {
    send_json(out, status, json{{"status", status}, {"error", message}});
}

// RFC 9110 §15.5.6: a 405 says in Allow what would do.
void method_not_allowed(http::Response& out, std::string_view allow) {
    send_error(out, 405, "method not allowed here; allowed: " + std::string(allow));
    out.add_header("Allow", allow);
}

bool is_get(const http::Request& req) { return req.method == http::Method::get || req.method == http::Method::head; }

// A name in the URL path, percent-encoded as the other routes take it.
bool name_from_path(std::string_view raw, store::Name& name, http::Response& out) {
    if (const auto error = store::normalize_name(raw, name); error != store::NameError::none) {
        send_error(out, 400, "bad file name: " + std::string(store::describe(error)));
        return false;
    }
    return true;
}

json optional_number(const std::optional<std::int64_t>& n) { return n ? json(*n) : json(nullptr); }

void list_files(const http::Request& req, http::Response& out, fill::FillEngine& fills) {
    auto query = parse_list_query(req.query());
    if (!query) return send_error(out, 400, query.error().message);
    const auto page = fills.list_cached(query->prefix, query->after, query->limit);
    json files = json::array();
    for (const auto& f : page.files) {
        files.push_back({{"name", f.name},
                         {"size", f.size},
                         {"fetched", optional_number(f.fetched)},
                         {"last_used", optional_number(f.last_used ? std::optional(*f.last_used / 1'000'000'000)
                                                                   : std::nullopt)},
                         {"etag", f.etag.empty() ? json(nullptr) : json(f.etag)},
                         {"key", f.origin_key.empty() ? json(nullptr) : json(f.origin_key)}});
    }
    json body{{"files", std::move(files)}, {"more", page.more}};
    // The next page: ?after=<this> with the same prefix.
    body["next_after"] = page.more ? json(page.files.back().name) : json(nullptr);
    send_json(out, 200, body);
}

void purge_prefix(const http::Request& req, http::Response& out, fill::FillEngine& fills) {
    auto raw = query_value(req.query(), "prefix");
    if (!raw) return send_error(out, 400, raw.error().message + " (DELETE /admin/files?prefix=P)");
    auto prefix = parse_prefix(*raw);
    if (!prefix) return send_error(out, 400, prefix.error().message);
    // An empty prefix would purge the whole cache: a slip of a script, not a request.
    if (prefix->empty()) return send_error(out, 400, "prefix: must not be empty");
    const std::size_t removed = fills.purge_prefix(*prefix);
    send_json(out, 200, json{{"prefix", *prefix}, {"removed", removed}});
}

void purge_one(std::string_view raw, http::Response& out, fill::FillEngine& fills) {
    store::Name name;
    if (!name_from_path(raw, name, out)) return;
    const fill::PurgeOutcome done = fills.purge(name.local);
    if (!done.anything()) return send_error(out, 404, "not cached, not filling and not remembered as missing: " + name.local);
    send_json(out, 200, json{{"name", name.local},
                             {"removed", done.removed_copy},
                             {"fill_discarded", done.discarded_fill},
                             {"negative_cache_cleared", done.cleared_miss}});
}

void refresh(std::string_view raw, http::Response& out, fill::FillEngine& fills) {
    store::Name name;
    if (!name_from_path(raw, name, out)) return;
    switch (fills.refresh(name)) {
        case fill::RefreshState::queued:
            return send_json(out, 202, json{{"name", name.local}, {"state", "queued"}});
        case fill::RefreshState::not_cached:
            return send_error(out, 404, "not cached (POST /admin/warm fills it): " + name.local);
        case fill::RefreshState::busy:
            return send_error(out, 409, "a fill or revalidation of it is already queued or running: " + name.local);
        case fill::RefreshState::queue_full:
            send_error(out, 503, "too many fills waiting; try again later");
            return out.add_header("Retry-After", "5");
    }
}

std::string_view state_name(fill::FileState state) {
    switch (state) {
        case fill::FileState::cached: return "cached";
        case fill::FileState::filling: return "queued";
        case fill::FileState::not_found: return "not_found";
        case fill::FileState::failed: return "failed";
        case fill::FileState::queue_full: return "queue_full";
    }
    return "failed";
}

// Fills start as a /verify's would; the answer does not wait for any of them.
void warm(const http::Request& req, http::Response& out, fill::FillEngine& fills) {
    auto names = parse_warm_names(req.body);
    if (!names) return send_error(out, 400, names.error().message);
    json files = json::array();
    std::size_t queued = 0;
    std::unordered_set<std::string> seen;  // a name given twice is one fill, counted once
    store::Name name;
    for (const std::string& given : *names) {
        // Names in the body are decoded already: encoded once so the one
        // decoding of normalize_name gives them back as they are.
        if (const auto error = store::normalize_name(store::encode_path(given), name); error != store::NameError::none) {
            files.push_back({{"name", given}, {"state", "invalid"}, {"error", store::describe(error)}});
            continue;
        }
        const fill::FileStatus status = fills.ensure(name);
        json item{{"name", name.local}, {"state", state_name(status.state)}};
        if (!status.error_message.empty()) item["error"] = status.error_message;
        queued += status.state == fill::FileState::filling && seen.insert(name.local).second ? 1 : 0;
        files.push_back(std::move(item));
    }
    send_json(out, 202, json{{"queued", queued}, {"files", std::move(files)}});
}

bool authorised(const http::Request& req, const AdminContext& ctx) {
    return bearer_token_matches(req.authorization, ctx.token);
}

}  // namespace

void handle_admin(const http::Request& req, std::string_view path, http::Response& out, const AdminContext& ctx) {
    out.route = metrics::Route::admin;
    // RFC 6750 §3: a request without the token, or with a wrong one, is told how to authenticate.
    if (!authorised(req, ctx)) {
        send_error(out, 401, req.authorization.empty() ? "this call needs Authorization: Bearer <token>"
                                                       : "the token is not valid");
        return out.add_header("WWW-Authenticate", req.authorization.empty()
                                                      ? "Bearer realm=\"cache-tier admin\""
                                                      : "Bearer realm=\"cache-tier admin\", error=\"invalid_token\"");
    }
    if (!ctx.fills) return send_error(out, 503, "no origin configured: there is no fill engine to manage");
    fill::FillEngine& fills = *ctx.fills;
    const std::string_view rest = path.substr(kAdminPrefix.size());
    if (rest == kFiles) {
        if (is_get(req)) return list_files(req, out, fills);
        if (req.method == http::Method::del) return purge_prefix(req, out, fills);
        return method_not_allowed(out, "GET, HEAD, DELETE");
    }
    if (rest.starts_with(kFilesPrefix)) {
        if (req.method != http::Method::del) return method_not_allowed(out, "DELETE");
        return purge_one(rest.substr(kFilesPrefix.size()), out, fills);
    }
    if (rest.starts_with(kRefreshPrefix)) {
        if (req.method != http::Method::post) return method_not_allowed(out, "POST");
        return refresh(rest.substr(kRefreshPrefix.size()), out, fills);
    }
    if (rest == kWarm) {
        if (req.method != http::Method::post) return method_not_allowed(out, "POST");
        return warm(req, out, fills);
    }
    send_error(out, 404, "no such admin endpoint (files, files/<name>, refresh/<name>, warm)");
}

std::size_t admin_max_body(const http::Request& req, const AdminContext& ctx) {
    const bool warm_call = req.method == http::Method::post && req.path() == "/admin/warm";
    return warm_call && authorised(req, ctx) ? kMaxWarmBody : 0;
}

namespace {

class AdminRouter final : public http::Handler {
public:
    explicit AdminRouter(std::shared_ptr<const AdminContext> admin) : admin_(std::move(admin)) {}

    void handle(const http::Request& req, http::Response& out) override {
        const std::string_view path = req.path();
        if (!path.starts_with(kAdminPrefix)) {
            out.route = metrics::Route::admin;
            return send_error(out, 404, "this listener serves /admin/ only");
        }
        handle_admin(req, path, out, *admin_);
    }
    std::size_t max_body(const http::Request& req) override { return admin_max_body(req, *admin_); }

private:
    std::shared_ptr<const AdminContext> admin_;
};

}  // namespace

http::HandlerFactory make_admin_router_factory(std::shared_ptr<const AdminContext> admin) {
    return [admin]() -> std::unique_ptr<http::Handler> { return std::make_unique<AdminRouter>(admin); };
}

}  // namespace cache_tier::routes
