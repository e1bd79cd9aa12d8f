#include "client/cluster.hpp"

#include "client/http_get.hpp"
#include "client/log.hpp"
#include "client/rendezvous.hpp"
#include "client/urls.hpp"

namespace cache_tier::client {

namespace {

// One node's reply: the verify JSON (with a 2xx or 4xx status), or a failure.
VerifyReply ask_node(const std::string& node, std::string_view name, const AskPolicy& policy) {
    VerifyReply reply;
    reply.node = node;
    HttpResult http = http_get(route_url(node, "verify", name), policy.request_timeout, policy.ca_file);
    if (!http.responded) {
        reply.failure = std::move(http.failure);
        return reply;
    }
    reply.http_status = http.status;
    // 5xx (and anything but 2xx/4xx) is the node's trouble: another node may do better.
    const bool success = http.status >= 200 && http.status < 300;
    const bool refused = http.status >= 400 && http.status < 500;
    if (!success && !refused) {
        reply.failure = "HTTP status " + std::to_string(http.status);
        return reply;
    }
    std::string why;
    auto answer = parse_verify_answer(http.body, &why);
    if (!answer) {
        reply.failure = "HTTP status " + std::to_string(http.status) + ", " + why;
        return reply;
    }
    reply.kind = success ? ReplyKind::answered : ReplyKind::rejected;
    reply.answer = std::move(*answer);
    reply.body = std::move(http.body);
    return reply;
}

}  // namespace

std::vector<std::size_t> node_order(std::span<const std::string> nodes, std::string_view name) {
    return rendezvous_order(nodes, lower_ascii(name));
}

const std::string& download_node(std::span<const std::string> nodes, std::string_view name,
                                 const NodeHealth& health, NodeHealth::Clock::time_point now) {
    const auto order = node_order(nodes, name);
    for (std::size_t index : order)
        if (!health.is_down(nodes[index], now)) return nodes[index];
    return nodes[order.front()];
}

VerifyReply ask_verify(std::span<const std::string> nodes, std::string_view name, const AskPolicy& policy,
                       NodeHealth& health) {
    VerifyReply last;
    last.failure = "no server configured";
    std::string failures;  // every node's reason, so that a bad certificate is not hidden by a later timeout
    bool asked_any = false;
    for (std::size_t index : node_order(nodes, name)) {
        const std::string& node = nodes[index];
        if (health.is_down(node, policy.now)) continue;
        asked_any = true;
        VerifyReply reply = ask_node(node, name, policy);
        if (reply.kind != ReplyKind::no_answer) return reply;
        log_line(policy.log_enabled, node + " failed for " + std::string(name) + ": " + reply.failure +
                                         "; not asked again for " + std::to_string(policy.down_node_time.count()) +
                                         " ms");
        health.mark_down(node, policy.down_node_time, policy.now);
        failures += (failures.empty() ? "" : "; ") + node + ": " + reply.failure;
        last = std::move(reply);
    }
    if (asked_any) last.failure = std::move(failures);
    else if (!nodes.empty()) last.failure = "every server is remembered as down";
    return last;
}

}  // namespace cache_tier::client
