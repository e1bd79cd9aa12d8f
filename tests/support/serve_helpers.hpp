#pragma once
// Helpers shared by the integration tests of `cache-tier serve`: starting the
// binary with arbitrary arguments, raw socket exchanges, file times, polling.
#include <sys/types.h>

#include <chrono>
#include <ctime>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "support/http_client.hpp"
#include "support/process.hpp"

namespace ct_test {

// The public path of a cached file: "/static/files_cache/" + the encoded name.
std::string static_url(const std::string& encoded_name);

// Send `bytes` on a new connection, then read until the server closes it or
// `timeout` passes. `half_close` shuts down our sending side after the bytes.
struct RawExchange {
    std::string received;
    bool closed_by_server = false;
};
RawExchange raw_exchange(int port, const std::string& bytes, std::chrono::milliseconds timeout = 5s,
                         bool half_close = false);

// Reads on a plain socket descriptor, for tests that pace the reading side.
// Append to `into` until it contains `delimiter`; false on timeout or close.
bool recv_until(int fd, const std::string& delimiter, std::string& into, std::chrono::milliseconds timeout);
// Read and count up to `n` bytes (`into` may be null to discard them); returns the count read.
std::size_t recv_bytes(int fd, std::size_t n, std::string* into, std::chrono::milliseconds timeout);
// The same on a Connection: decrypted, when it is over TLS.
bool recv_until(Connection& c, const std::string& delimiter, std::string& into, std::chrono::milliseconds timeout);
std::size_t recv_bytes(Connection& c, std::size_t n, std::string* into, std::chrono::milliseconds timeout);
// Close a socket with an RST instead of a FIN (SO_LINGER 0).
void close_with_reset(int fd);

// Set a file's modification time (seconds since the epoch).
void set_mtime(const fs::path& p, std::time_t seconds);
// IMF-fixdate, RFC 9110 §5.6.7: "Sun, 06 Nov 1994 08:49:37 GMT".
std::string http_date(std::time_t seconds);

// Poll `condition` every `interval` until it holds or `timeout` passes.
bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds timeout,
                std::chrono::milliseconds interval = 50ms);

// Raise this process's open-file limit to its hard limit (for many-connection tests).
void raise_open_file_limit();
// Descriptors open in process `pid` (from /proc) whose link starts with
// `kind` (e.g. "socket:"; "" counts all), -1 if unreadable.
int count_open_fds(pid_t pid, const std::string& kind = "");
// One field of /proc/PID/limits, e.g. "Max open files": {soft, hard}; "unlimited" is -1.
std::optional<std::pair<long long, long long>> process_limit(pid_t pid, const std::string& name);

// ASCII lower case, for comparing header values.
std::string lower(std::string text);

// Lines of a text, without their '\n'; a last empty line is dropped.
std::vector<std::string> split_lines(const std::string& text);

// True when the server process still runs and answers GET / with 200.
bool server_answers(Process& proc, int port);

// `cache-tier <args...>` with nothing added; for tests that choose every flag
// (config files, bad flags). Output goes to files under its own temp folder.
class CacheTierProcess {
public:
    explicit CacheTierProcess(std::vector<std::string> args, std::map<std::string, std::string> env = {});
    Process& process() { return *proc_; }
    // Wait for the port to accept connections while the process runs.
    bool wait_listening(int port, std::chrono::milliseconds timeout = 10s);

private:
    TempDir logs_;
    std::unique_ptr<Process> proc_;
};

// Run `cache-tier <args...>` to completion with a bounded time; status and output.
struct CommandResult {
    int status = -1;  // -1: did not exit in time (killed)
    std::string out;
    std::string err;
};
CommandResult run_cache_tier(const std::vector<std::string>& args, std::chrono::milliseconds timeout = 10s,
                             const std::vector<std::string>& wrapper = {});

}  // namespace ct_test
