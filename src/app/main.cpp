// cache-tier: one executable, several subcommands.
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <iostream>

#include "app/admin_commands.hpp"
#include "app/client_commands.hpp"
#include "app/serve_command.hpp"

int main(int argc, char** argv) {
    // Errors and events go to stderr; stdout is left to the access log ("-") and client output.
    auto logger = spdlog::stderr_logger_mt("cache-tier");
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
    spdlog::set_default_logger(logger);

    CLI::App app{"cache-tier: serve files from a cheap-bandwidth machine, filled from an expensive origin"};
    app.set_version_flag("--version", CACHE_TIER_VERSION);
    app.require_subcommand(1);
    int exit_code = 0;
    cache_tier::app::add_serve_command(app, exit_code);
    cache_tier::app::add_client_commands(app, exit_code);
    cache_tier::app::add_admin_commands(app, exit_code);
    // CLI11 would only say "a subcommand is required"; name the unknown word.
    if (argc > 1 && argv[1][0] != '-') {
        std::string first = argv[1];
        auto subs = app.get_subcommands([](const CLI::App*) { return true; });
        bool known = false;
        for (auto* sub : subs) known = known || sub->check_name(first);
        if (!known) {
            std::cerr << "cache-tier: unknown command '" << first << "' (see cache-tier --help)\n";
            return 2;
        }
    }
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForVersion& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        // One line, and the usage error status of the issue: 2.
        std::cerr << "cache-tier: " << e.what() << " (see cache-tier --help)\n";
        return 2;
    }
    return exit_code;
}
