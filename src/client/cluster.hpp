#pragma once
// Asking a cluster about a file: the file's home node by rendezvous hashing,
// the next ones in its rendezvous order when a node does not answer, and down
// nodes skipped while they are remembered as down.
#include <chrono>
#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "client/node_health.hpp"
#include "client/verify_answer.hpp"

namespace cache_tier::client {

struct AskPolicy {
    std::chrono::milliseconds request_timeout{1000};
    std::chrono::milliseconds down_node_time{30'000};
    bool log_enabled = false;
    NodeHealth::Clock::time_point now = NodeHealth::Clock::now();  // when the asking starts
    std::string ca_file{};  // PEM CA certificates https servers are verified against, besides the system's
};

enum class ReplyKind {
    answered,   // 2xx with the verify JSON
    rejected,   // 4xx with the verify JSON: the server refuses the name itself
    no_answer,  // every node down, unreachable, slow or answering garbage
};

struct VerifyReply {
    ReplyKind kind = ReplyKind::no_answer;
    std::string node;     // the node that answered (or was tried last)
    long http_status = 0;
    std::string body;     // the server's answer as sent
    VerifyAnswer answer;  // parsed, unless kind == no_answer
    std::string failure;  // why there is no answer: "<node>: <reason>" for each node asked, "; " between
};

// The order to ask `nodes` about `name` in (indices into `nodes`), case of the
// name ignored so that every spelling of a file lands on the same node.
std::vector<std::size_t> node_order(std::span<const std::string> nodes, std::string_view name);

// The node to send a download of `name` to: the first in node_order that is
// not remembered as down (the home node if all are). `nodes` must not be empty.
const std::string& download_node(std::span<const std::string> nodes, std::string_view name, const NodeHealth& health,
                                 NodeHealth::Clock::time_point now = NodeHealth::Clock::now());

// GET <node>/verify/<name> on the nodes in node_order until one answers.
// Nodes that fail are remembered as down for policy.down_node_time.
VerifyReply ask_verify(std::span<const std::string> nodes, std::string_view name, const AskPolicy& policy,
                       NodeHealth& health);

}  // namespace cache_tier::client
