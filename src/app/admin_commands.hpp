#pragma once
// The admin side of the command line: `cache-tier ls|purge|refresh|warm`,
// calls to a server's admin API (docs/admin-api.md).
namespace CLI {
class App;
}

namespace cache_tier::app {

// Adds the ls, purge, refresh and warm subcommands to `app`. Their exit
// status, written to `exit_code` (which must outlive the parse), follows
// `verify`'s: 0 done, 1 nothing to do (no file matched, not cached, a file
// could not be queued), 2 error (no answer, refused token, bad arguments).
void add_admin_commands(CLI::App& app, int& exit_code);

}  // namespace cache_tier::app
