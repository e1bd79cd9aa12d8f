#include "cache_tier/client.hpp"

#include <algorithm>
#include <optional>

#include "client/cluster.hpp"
#include "client/curl_handle.hpp"
#include "client/log.hpp"
#include "client/node_health.hpp"
#include "client/status_cache.hpp"
#include "client/urls.hpp"
#include "signing/signed_link.hpp"

namespace cache_tier {

using client::StatusCache;

struct Client::State {
    std::vector<std::string> nodes;  // normalised base URLs
    ClientOptions options;
    // The status cache key is the file name, case-insensitive as the server's
    // store is, and shared by every Client of the process as the original
    // client's class-level dict was.
    static std::string cache_key(std::string_view file) { return client::lower_ascii(file); }

    StatusCache::Clock::time_point now() const { return options.clock ? options.clock() : StatusCache::Clock::now(); }

    // The remembered status of `file` if it is younger than local_cache_time.
    std::optional<StatusCache::Entry> fresh_entry(std::string_view file) const {
        auto entry = client::shared_status_cache().find(cache_key(file));
        if (entry && now() - entry->fetched_at > options.local_cache_time) entry.reset();
        return entry;
    }

    // What the cluster says about `file` now; nullopt when no server answered.
    std::optional<bool> ask(std::string_view file) const {
        const client::AskPolicy policy{options.request_timeout, options.down_node_time, options.log_enabled, now(),
                                       options.ca_file};
        const auto reply = client::ask_verify(nodes, file, policy, client::shared_node_health());
        const std::string name(file);
        if (reply.kind == client::ReplyKind::no_answer) {
            client::log_line(options.log_enabled, "no server answered for " + name + ": " + reply.failure);
            return std::nullopt;
        }
        if (reply.answer.error)
            client::log_line(options.log_enabled, reply.node + " reports an error for " + name + ": " +
                                                      reply.answer.error_msg);
        client::log_line(options.log_enabled,
                         reply.node + " says " + name + " available=" + (reply.answer.available ? "true" : "false"));
        return reply.answer.available;
    }
};

namespace {

void check_options(const ClientOptions& options) {
    using std::chrono::milliseconds;
    if (options.request_timeout <= milliseconds::zero()) throw CacheError("request_timeout must be positive");
    if (options.local_cache_time < milliseconds::zero()) throw CacheError("local_cache_time must not be negative");
    if (options.down_node_time < milliseconds::zero()) throw CacheError("down_node_time must not be negative");
    client::check_ca_file(options.ca_file);
    if (options.url_signing_secret.empty()) return;
    if (const Status ok = signing::check_secret(options.url_signing_secret); !ok) throw CacheError(ok.error().message);
    if (options.url_signing_ttl < std::chrono::seconds(1) || options.url_signing_ttl > client::kMaxSigningTtl)
        throw CacheError("url_signing_ttl must be from 1 second to 10 years");
    client::check_static_prefix(options.static_prefix);
}

}  // namespace

Client::Client(std::string base_url, ClientOptions options)
    : Client(std::vector<std::string>{std::move(base_url)}, options) {}

Client::Client(std::vector<std::string> base_urls, ClientOptions options) {
    if (base_urls.empty()) throw CacheError("no cache-tier server given");
    check_options(options);
    auto state = std::make_shared<State>();
    for (const auto& url : base_urls) {
        std::string node = client::normalize_base_url(url);
        // A server listed twice would only be tried twice when it is down.
        if (std::find(state->nodes.begin(), state->nodes.end(), node) == state->nodes.end())
            state->nodes.push_back(std::move(node));
    }
    state->options = options;
    state_ = std::move(state);
}

bool Client::verify_file(std::string_view name) {
    const std::string_view file = client::checked_name(name);
    const State& state = *state_;
    // As the original client: with the local cache disabled, ask and remember nothing.
    if (!state.options.enable_local_cache) return state.ask(file).value_or(false);
    if (const auto entry = state.fresh_entry(file)) {
        client::log_line(state.options.log_enabled, "using remembered status of " + std::string(file) +
                                                        ": available=" + (entry->available ? "true" : "false"));
        return entry->available;
    }
    return refresh_status_from_server(file);
}

bool Client::refresh_status_from_server(std::string_view name) {
    const std::string_view file = client::checked_name(name);
    const State& state = *state_;
    const auto available = state.ask(file);
    // A failure is not remembered: the status cache holds what servers said, and
    // a node that failed is already skipped for down_node_time.
    if (available) client::shared_status_cache().store(state.cache_key(file), *available, state.now());
    return available.value_or(false);
}

bool Client::is_stale(std::string_view name) const {
    const std::string_view file = client::checked_name(name);
    return !state_->options.enable_local_cache || !state_->fresh_entry(file);
}

std::string Client::build_download_url(std::string_view name) const {
    const std::string_view file = client::checked_name(name);
    const State& state = *state_;
    const std::string& node = client::download_node(state.nodes, file, client::shared_node_health(), state.now());
    if (state.options.url_signing_secret.empty()) return client::route_url(node, "download", file);
    const auto now = state.options.wall_clock ? state.options.wall_clock() : std::chrono::system_clock::now();
    const auto expires = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()) + state.options.url_signing_ttl;
    return client::signed_file_url(node, state.options.static_prefix, file, state.options.url_signing_secret,
                                   expires.count());
}

const ClientOptions& Client::options() const { return state_->options; }

const std::vector<std::string>& Client::base_urls() const { return state_->nodes; }

}  // namespace cache_tier
