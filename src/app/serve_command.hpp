#pragma once
#include <CLI/CLI.hpp>

namespace cache_tier::app {

// Registers `cache-tier serve`; when it runs, `exit_code` gets its exit status.
void add_serve_command(CLI::App& app, int& exit_code);

}  // namespace cache_tier::app
