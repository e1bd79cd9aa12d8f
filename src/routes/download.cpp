// GET /download/<name>: a 302 to the local copy when it is cached, else to the
// origin while a fill starts, so no user ever waits for a fill.
#include "fill/fill_engine.hpp"
#include "routes/routes.hpp"
#include "routes/verify_reply.hpp"
#include "signing/signed_link.hpp"

namespace cache_tier::routes {

namespace {

void redirect(http::Response& out, std::string_view location) {
    out.status = 302;  // RFC 9110 §15.4.3: Found; the target changes once the fill is done
    out.add_header("Location", location);
    out.add_header("Cache-Control", "no-store");
}

void redirect_to_local_copy(const store::Name& name, const RouteContext& ctx, http::Response& out) {
    // Relative (the static prefix) unless a public base URL is configured;
    // exactly one '/' between the two.
    std::string_view base = ctx.options.public_base_url;
    while (!base.empty() && base.back() == '/') base.remove_suffix(1);
    std::string location;
    location.reserve(base.size() + ctx.options.static_prefix.size() + name.local.size());
    location.append(base).append(ctx.options.static_prefix).append(store::encode_path(name.local));
    // With signing on, the static route serves only signed links: a fresh one.
    if (const auto& secret = ctx.options.url_signing_secret; !secret.empty()) {
        const std::int64_t expires = ctx.options.clock->unix_seconds() + ctx.options.url_signing_ttl.count();
        location.append("?").append(
            signing::link_query(secret, signing::signed_path(ctx.options.static_prefix, name.local), expires));
    }
    redirect(out, location);
}

void redirect_to_origin(const store::Name& name, const RouteContext& ctx, http::Response& out) {
    const std::string location = ctx.fills->origin_url(name);
    // add_header would refuse such a Location (a 500); it is the origin's URL, so the answer is 502.
    if (http::has_control_characters(location)) {
        http::error_response(out, 502, "the origin gave an unusable URL for this file");
        return;
    }
    redirect(out, location);
    out.cache_result = metrics::CacheResult::miss;
}

}  // namespace

void handle_download(const http::Request& req, std::string_view raw_name, http::Response& out,
                     const RouteContext& ctx) {
    store::Name name;
    if (auto error = store::normalize_name(raw_name, name); error != store::NameError::none) {
        reject_name(raw_name, error, out);
        return;
    }
    if (!ctx.fills) {
        http::error_response(out, 503, "no origin configured");
        return;
    }
    const fill::FileStatus status = ensure_servable(name, ctx);
    if (status.available()) return redirect_to_local_copy(name, ctx, out);
    // A fill runs: once the origin's head is in, the local path streams the
    // file from that one fetch, so this user costs no origin egress.
    if (ctx.options.stream_misses && status.state == fill::FileState::filling) {
        if (ctx.fills->streaming_file(name)) return redirect_to_local_copy(name, ctx, out);
        if (!req.retried && ctx.options.stream_start_wait.count() > 0) {
            out.defer.retry_in = ctx.options.stream_start_wait;
            out.defer.wake_on = [fills = ctx.fills, name](std::function<void()> wake) {
                if (!fills->when_head(name, wake)) wake();
            };
            return;
        }
    }
    // Not cached, not streamable in time (the origin is slow, the queue full,
    // the file too large to keep): the user goes to the origin, as always.
    redirect_to_origin(name, ctx, out);
}

}  // namespace cache_tier::routes
