#pragma once
// The admin API (docs/admin-api.md): list, purge, refresh and warm cached
// files, for the operator of a node. Off unless a token is configured; every
// call carries `Authorization: Bearer <token>`. Plain functions of the
// request, like the other routes.
#include <cstddef>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "fill/fill_engine.hpp"
#include "http/handler.hpp"
#include "http/request.hpp"
#include "http/response.hpp"

namespace cache_tier::routes {

// Configuration keys admin_token_file and admin_listen.
struct AdminOptions {
    // The token's file; "" and no CACHE_TIER_ADMIN_TOKEN in the environment: the API is off (404).
    std::filesystem::path token_file;
    // "" : the admin API is served on the main listener; else HOST:PORT of a
    // listener of its own (e.g. 127.0.0.1:9090), and the main one has no /admin.
    std::string listen;
};

struct AdminContext {
    std::string token;        // never empty
    fill::FillEngine* fills;  // null when no origin is configured: answered 503
};

inline constexpr std::string_view kAdminPrefix = "/admin/";

// `path` is the request's path (origin-form), under kAdminPrefix.
void handle_admin(const http::Request& req, std::string_view path, http::Response& out, const AdminContext& ctx);

// The body an admin request may carry (Handler::max_body): only an
// authorised POST /admin/warm has one, so nobody else makes the server buffer a byte.
std::size_t admin_max_body(const http::Request& req, const AdminContext& ctx);

// A handler for a listener of its own: /admin/ only, 404 for anything else.
http::HandlerFactory make_admin_router_factory(std::shared_ptr<const AdminContext> admin);

}  // namespace cache_tier::routes
