#include "app/client_commands.hpp"

#include <CLI/CLI.hpp>

#include <chrono>
#include <cmath>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "cache_tier/client.hpp"
#include "client/cluster.hpp"
#include "client/curl_handle.hpp"
#include "client/node_health.hpp"
#include "client/urls.hpp"
#include "signing/signed_link.hpp"

namespace cache_tier::app {

namespace {

constexpr int exit_available = 0;
constexpr int exit_not_available = 1;
constexpr int exit_error = 2;

struct ClientCommandOptions {
    std::string name;
    std::vector<std::string> servers;
    bool json = false;
    double timeout_seconds = 1.0;
    std::string ca_file;  // verify: CA certificates for https servers, besides the system's
    // `url --sign`: a signed link to the file (docs/signed-links.md).
    bool sign = false;
    std::string secret_file;
    long long ttl_seconds = ClientOptions{}.url_signing_ttl.count();
    std::string static_prefix = ClientOptions{}.static_prefix;  // the server's default
};

void add_server_options(CLI::App& command, ClientCommandOptions& options) {
    command.add_option("name", options.name, "File name as the origin knows it (may contain '/')")->required();
    command
        .add_option("--server", options.servers,
                    "Base URL of a cache-tier server, e.g. http://downloads.example.com/; repeat it (or separate "
                    "with commas) for a cluster")
        ->required()
        ->allow_extra_args(false)
        ->delimiter(',');
}

}  // namespace

void add_ca_file_option(CLI::App& command, std::string& ca_file) {
    command.add_option("--ca-file", ca_file,
                       "PEM file of CA certificates that https servers' certificates are verified against, "
                       "besides the system's (a private CA)");
}

namespace {

int report_error(const std::string& command, const std::string& message) {
    std::cerr << "cache-tier " << command << ": " << message << '\n';
    return exit_error;
}

int run_verify(const ClientCommandOptions& options) {
    std::vector<std::string> nodes;
    std::string_view name;
    try {
        name = client::checked_name(options.name);
        for (const auto& server : options.servers) nodes.push_back(client::normalize_base_url(server));
        client::check_ca_file(options.ca_file);
    } catch (const CacheError& e) {
        return report_error("verify", e.what());
    }
    client::AskPolicy policy{
        std::chrono::milliseconds(static_cast<long long>(std::llround(options.timeout_seconds * 1000))),
        std::chrono::milliseconds::zero(), false};
    policy.ca_file = options.ca_file;
    // A fresh process knows no node as down: every node is tried in turn.
    client::NodeHealth health;
    const client::VerifyReply reply = client::ask_verify(nodes, name, policy, health);

    if (reply.kind == client::ReplyKind::no_answer) return report_error("verify", "no server answered: " + reply.failure);
    if (options.json) {
        std::cout << reply.body;
        if (reply.body.empty() || reply.body.back() != '\n') std::cout << '\n';
    }
    const std::string& message = reply.answer.error_msg;
    if (reply.kind == client::ReplyKind::rejected)
        return report_error("verify", reply.node + " refused the name (HTTP " + std::to_string(reply.http_status) +
                                          ")" + (message.empty() ? "" : ": " + message));
    if (!options.json) {
        std::cout << (reply.answer.available ? "available" : "not available");
        if (reply.answer.error && !message.empty()) std::cout << " (last fetch failed: " << message << ')';
        std::cout << '\n';
    }
    return reply.answer.available ? exit_available : exit_not_available;
}

int run_url(const ClientCommandOptions& options) {
    ClientOptions client_options;
    client_options.url_signing_ttl = std::chrono::seconds(options.ttl_seconds);
    client_options.static_prefix = options.static_prefix;
    if (options.sign) {
        auto secret = signing::read_secret_file(options.secret_file);
        if (!secret) return report_error("url", secret.error().message);
        client_options.url_signing_secret = std::move(*secret);
    }
    try {
        std::cout << Client(options.servers, client_options).build_download_url(options.name) << '\n';
        return 0;
    } catch (const CacheError& e) {
        return report_error("url", e.what());
    }
}

}  // namespace

void add_client_commands(CLI::App& app, int& exit_code) {
    // Owned by the callbacks, which CLI11 keeps as long as `app`.
    auto verify_options = std::make_shared<ClientCommandOptions>();
    CLI::App* verify = app.add_subcommand(
        "verify", "Ask cache-tier servers whether a file is cached (exit 0 yes, 1 no, 2 error)");
    add_server_options(*verify, *verify_options);
    verify->add_flag("--json", verify_options->json, "Print the server's JSON answer as it came");
    verify->add_option("--timeout", verify_options->timeout_seconds, "Seconds to wait for each server")
        ->check(CLI::Range(0.001, 3600.0));
    add_ca_file_option(*verify, verify_options->ca_file);
    verify->callback([verify_options, &exit_code] { exit_code = run_verify(*verify_options); });

    auto url_options = std::make_shared<ClientCommandOptions>();
    CLI::App* url = app.add_subcommand("url", "Print the URL that downloads a file from the cache tier");
    add_server_options(*url, *url_options);
    CLI::Option* sign = url->add_flag("--sign", url_options->sign,
                                      "Print a signed link straight to the file (servers run with url_signing_secret_file)");
    CLI::Option* secret_file =
        url->add_option("--secret-file", url_options->secret_file, "The server's url_signing_secret_file");
    CLI::Option* ttl = url->add_option("--ttl", url_options->ttl_seconds,
                                       "Seconds the signed link stays valid (default " +
                                           std::to_string(url_options->ttl_seconds) + ")")
                           ->check(CLI::Range(1LL, static_cast<long long>(client::kMaxSigningTtl.count())));
    CLI::Option* prefix = url->add_option("--static-prefix", url_options->static_prefix,
                                          "The server's static_prefix (default " + url_options->static_prefix + ")");
    sign->needs(secret_file);
    for (CLI::Option* option : {secret_file, ttl, prefix}) option->needs(sign);
    url->callback([url_options, &exit_code] { exit_code = run_url(*url_options); });
}

}  // namespace cache_tier::app
