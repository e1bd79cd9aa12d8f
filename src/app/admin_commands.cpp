#include "app/admin_commands.hpp"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <ctime>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "app/admin_http.hpp"
#include "app/client_commands.hpp"
#include "app/config.hpp"
#include "cache_tier/client.hpp"
#include "client/curl_handle.hpp"
#include "client/urls.hpp"
#include "common/percent.hpp"
#include "routes/admin_parse.hpp"
#include "store/name.hpp"

namespace cache_tier::app {

namespace {

using json = nlohmann::ordered_json;

constexpr int exit_done = 0;
constexpr int exit_nothing = 1;
constexpr int exit_error = 2;

struct AdminCommandOptions {
    std::string command;
    std::string server;
    std::string token_file;
    double timeout_seconds = 30.0;
    std::string ca_file;
    bool json = false;
    std::vector<std::string> names;
    std::string prefix;
    std::size_t limit = 0;  // ls: 0 = every file
    std::string names_file;
};

// What every admin command needs: where, with which token.
struct Target {
    std::string base;  // normalised base URL, without a trailing '/'
    std::string token;
    std::chrono::milliseconds timeout;
    std::string ca_file;
};

int report_error(const AdminCommandOptions& o, const std::string& message) {
    std::cerr << "cache-tier " << o.command << ": " << message << '\n';
    return exit_error;
}

// The token from --token-file, else CACHE_TIER_ADMIN_TOKEN: as the server reads it.
std::string read_token(const AdminCommandOptions& o) {
    Config cfg;
    cfg.admin.token_file = o.token_file;
    std::string token = load_admin_token(cfg, false);
    if (token.empty()) throw ConfigError("no admin token: give --token-file FILE or set CACHE_TIER_ADMIN_TOKEN");
    return token;
}

// The server's own words for a refusal: its {"error": ...}, else the status.
std::string refusal(const AdminReply& reply) {
    const json doc = json::parse(reply.body, nullptr, false);
    std::string why = doc.is_object() && doc.contains("error") && doc["error"].is_string()
                          ? doc["error"].get<std::string>()
                          : std::string("no explanation");
    return "HTTP " + std::to_string(reply.status) + ": " + why;
}

// One call; nullopt (and a line on stderr) when no answer came or it is not
// JSON. Statuses are the caller's to judge.
std::optional<json> call(const AdminCommandOptions& o, const Target& t, const std::string& method,
                         const std::string& path, AdminReply& reply, const std::string& body = "") {
    reply = admin_call(method, t.base + path, t.token, body, t.timeout, t.ca_file);
    if (!reply.responded) {
        report_error(o, "no answer from " + t.base + ": " + reply.failure);
        return std::nullopt;
    }
    json doc = json::parse(reply.body, nullptr, false);
    if (doc.is_discarded()) {
        report_error(o, t.base + " answered HTTP " + std::to_string(reply.status) + " without JSON (is it a cache-tier server with the admin API on?)");
        return std::nullopt;
    }
    return doc;
}

std::string format_time(const json& seconds) {
    if (!seconds.is_number_integer()) return "-";
    const std::time_t t = seconds.get<std::int64_t>();
    std::tm tm{};
    char text[32];
    if (!::gmtime_r(&t, &tm) || std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) return "-";
    return text;
}

int run_ls(const AdminCommandOptions& o, const Target& t) {
    std::string after;
    std::size_t listed = 0;
    json all = json::array();
    for (;;) {
        const std::size_t page = o.limit ? std::min<std::size_t>(1000, o.limit - listed) : 1000;
        std::string path = "/admin/files?limit=" + std::to_string(page);
        if (!o.prefix.empty()) path += "&prefix=" + percent_encode(o.prefix, false);
        if (!after.empty()) path += "&after=" + percent_encode(after, false);
        AdminReply reply;
        auto doc = call(o, t, "GET", path, reply);
        if (!doc) return exit_error;
        if (reply.status != 200) return report_error(o, refusal(reply));
        for (const auto& f : (*doc)["files"]) {
            ++listed;
            if (o.json) {
                all.push_back(f);
                continue;
            }
            std::cout << f["size"].get<std::uint64_t>() << '\t' << format_time(f["fetched"]) << '\t'
                      << f["name"].get<std::string>() << '\n';
        }
        if (!(*doc)["more"].get<bool>() || (o.limit && listed >= o.limit)) break;
        after = (*doc)["next_after"].get<std::string>();
    }
    if (o.json) std::cout << all.dump(2, ' ', false, json::error_handler_t::replace) << '\n';
    return listed > 0 ? exit_done : exit_nothing;
}

int run_purge(const AdminCommandOptions& o, const Target& t) {
    if (o.names.empty() == o.prefix.empty()) return report_error(o, "give file names or --prefix P, not both");
    AdminReply reply;
    if (!o.prefix.empty()) {
        auto doc = call(o, t, "DELETE", "/admin/files?prefix=" + percent_encode(o.prefix, false), reply);
        if (!doc) return exit_error;
        if (reply.status != 200) return report_error(o, refusal(reply));
        const auto removed = (*doc)["removed"].get<std::size_t>();
        std::cout << "purged " << removed << " file(s) under " << (*doc)["prefix"].get<std::string>() << '\n';
        return removed > 0 ? exit_done : exit_nothing;
    }
    int status = exit_done;
    for (const auto& name : o.names) {
        auto doc = call(o, t, "DELETE", "/admin/files/" + store::encode_path(name), reply);
        if (!doc) return exit_error;
        if (reply.status == 404) {
            std::cout << "not cached: " << name << '\n';
            status = std::max(status, exit_nothing);
        } else if (reply.status != 200) {
            return report_error(o, name + ": " + refusal(reply));
        } else {
            std::cout << ((*doc)["removed"].get<bool>() ? "purged: " : "forgotten: ") << name << '\n';
        }
    }
    return status;
}

int run_refresh(const AdminCommandOptions& o, const Target& t) {
    int status = exit_done;
    for (const auto& name : o.names) {
        AdminReply reply;
        auto doc = call(o, t, "POST", "/admin/refresh/" + store::encode_path(name), reply);
        if (!doc) return exit_error;
        if (reply.status == 202) {
            std::cout << "refresh queued: " << name << '\n';
        } else if (reply.status == 409) {
            std::cout << "already being filled or revalidated: " << name << '\n';
        } else if (reply.status == 404 && (*doc).value("error", "").starts_with("not cached")) {
            std::cout << "not cached: " << name << '\n';
            status = std::max(status, exit_nothing);
        } else {
            return report_error(o, name + ": " + refusal(reply));
        }
    }
    return status;
}

int run_warm(const AdminCommandOptions& o, const Target& t) {
    std::vector<std::string> names = o.names;
    if (!o.names_file.empty()) {
        std::ifstream in(o.names_file);
        if (!in) return report_error(o, "cannot read " + o.names_file);
        for (std::string line; std::getline(in, line);) {
            while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
            if (!line.empty()) names.push_back(line);
        }
    }
    if (names.empty()) return report_error(o, "no names to warm");
    // As many calls as the server's limits need (names per call, body size).
    routes::WarmBatches batches = routes::warm_batches(names);
    json all{{"queued", 0}, {"files", json::array()}};
    for (const auto& bad : batches.unsendable)
        all["files"].push_back({{"name", bad.name}, {"state", "invalid"}, {"error", bad.reason}});
    for (const std::string& body : batches.bodies) {
        AdminReply reply;
        auto doc = call(o, t, "POST", "/admin/warm", reply, body);
        if (!doc) return exit_error;
        if (reply.status != 202) return report_error(o, refusal(reply));
        all["queued"] = all["queued"].get<std::size_t>() + (*doc)["queued"].get<std::size_t>();
        for (auto& f : (*doc)["files"]) all["files"].push_back(std::move(f));
    }
    if (o.json) std::cout << all.dump(2, ' ', false, json::error_handler_t::replace) << '\n';
    int status = exit_done;
    for (const auto& f : all["files"]) {
        const std::string state = f["state"].get<std::string>();
        if (!o.json) {
            std::cout << state << ": " << f["name"].get<std::string>();
            if (f.contains("error")) std::cout << " (" << f["error"].get<std::string>() << ')';
            std::cout << '\n';
        }
        if (state != "queued" && state != "cached") status = exit_nothing;
    }
    return status;
}

int run_admin(const AdminCommandOptions& o, int (*run)(const AdminCommandOptions&, const Target&)) {
    Target t;
    try {
        t.base = client::normalize_base_url(o.server);
        t.token = read_token(o);
        client::check_ca_file(o.ca_file);
        t.ca_file = o.ca_file;
    } catch (const CacheError& e) {
        return report_error(o, e.what());
    } catch (const ConfigError& e) {
        return report_error(o, e.what());
    }
    t.timeout = std::chrono::milliseconds(static_cast<long long>(std::llround(o.timeout_seconds * 1000)));
    return run(o, t);
}

CLI::App* add_admin_command(CLI::App& app, const char* name, const char* description,
                            std::shared_ptr<AdminCommandOptions> options, int& exit_code,
                            int (*run)(const AdminCommandOptions&, const Target&)) {
    options->command = name;
    CLI::App* cmd = app.add_subcommand(name, description);
    cmd->add_option("--server", options->server, "Base URL of the server's admin API, e.g. http://127.0.0.1:9090")
        ->required();
    cmd->add_option("--token-file", options->token_file,
                    "File holding the admin token (default: env CACHE_TIER_ADMIN_TOKEN)");
    cmd->add_option("--timeout", options->timeout_seconds, "Seconds to wait for each answer (default 30)")
        ->check(CLI::Range(0.001, 3600.0));
    add_ca_file_option(*cmd, options->ca_file);
    cmd->callback([options, &exit_code, run] { exit_code = run_admin(*options, run); });
    return cmd;
}

}  // namespace

void add_admin_commands(CLI::App& app, int& exit_code) {
    auto ls = std::make_shared<AdminCommandOptions>();
    CLI::App* cmd = add_admin_command(app, "ls", "List a server's cached files (exit 0 some, 1 none, 2 error)", ls,
                                      exit_code, run_ls);
    cmd->add_option("prefix", ls->prefix, "Only names that start with this (lower case, as cached)");
    cmd->add_option("--limit", ls->limit, "At most this many files (default: all)")->check(CLI::Range(1, 1 << 30));
    cmd->add_flag("--json", ls->json, "Print the files as a JSON array");

    auto purge = std::make_shared<AdminCommandOptions>();
    cmd = add_admin_command(app, "purge", "Remove cached files now (exit 0 purged, 1 none was cached, 2 error)",
                            purge, exit_code, run_purge);
    cmd->add_option("names", purge->names, "File names");
    cmd->add_option("--prefix", purge->prefix, "Every cached file whose name starts with this");

    auto refresh = std::make_shared<AdminCommandOptions>();
    cmd = add_admin_command(app, "refresh",
                            "Revalidate cached files with the origin now (exit 0 queued, 1 one was not cached, 2 error)",
                            refresh, exit_code, run_refresh);
    cmd->add_option("names", refresh->names, "File names")->required();

    auto warm = std::make_shared<AdminCommandOptions>();
    cmd = add_admin_command(app, "warm",
                            "Fill files ahead of traffic (exit 0 all queued or cached, 1 some could not be, 2 error)",
                            warm, exit_code, run_warm);
    cmd->add_option("names", warm->names, "File names as the origin knows them");
    cmd->add_option("--names-file", warm->names_file, "A file of names, one a line");
    cmd->add_flag("--json", warm->json, "Print the server's JSON answer");
}

}  // namespace cache_tier::app
