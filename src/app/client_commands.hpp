#pragma once
// The client side of the command line: `cache-tier verify` and `cache-tier url`,
// for scripts and for checking a cache tier by hand.
#include <string>

namespace CLI {
class App;
}

namespace cache_tier::app {

// Adds the `verify` and `url` subcommands to `app`. When one of them runs
// (during app.parse), its exit status is written to `exit_code`:
//   verify: 0 the file is cached, 1 it is not, 2 error (no server answered,
//           the server refused the name, bad arguments);
//   url:    0 the URL was printed, 2 bad arguments.
// `exit_code` must outlive the parse.
void add_client_commands(CLI::App& app, int& exit_code);

// `--ca-file FILE`, for every subcommand that talks to a server over https.
void add_ca_file_option(CLI::App& command, std::string& ca_file);

}  // namespace cache_tier::app
