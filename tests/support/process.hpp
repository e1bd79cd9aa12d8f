#pragma once
// Real processes for integration tests: the cache-tier binary, nginx, fakes.
#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace ct_test {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// A directory under /tmp removed (recursively) when the object dies.
class TempDir {
public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const fs::path& path() const { return path_; }
    fs::path operator/(const std::string& rel) const { return path_ / rel; }

private:
    fs::path path_;
};

// A TCP port on 127.0.0.1 that nothing listens on right now.
int free_port();

// Poll until something accepts TCP connections on 127.0.0.1:port.
bool wait_for_port(int port, std::chrono::milliseconds timeout = 10s);

// A child process; stdout and stderr go to files under `log_dir`.
class Process {
public:
    Process(std::vector<std::string> argv, const fs::path& log_dir,
            std::map<std::string, std::string> extra_env = {});
    ~Process();  // SIGKILL if still running
    Process(const Process&) = delete;
    Process& operator=(const Process&) = delete;

    pid_t pid() const { return pid_; }
    bool running();
    // Send `sig` and wait up to `timeout` for the exit; returns the exit status
    // (128+signal if killed by a signal), or nullopt if it did not exit in time.
    std::optional<int> stop(int sig, std::chrono::milliseconds timeout = 10s);
    // Wait for the process to exit by itself.
    std::optional<int> wait(std::chrono::milliseconds timeout);
    void kill9();
    std::string stdout_text() const;
    const fs::path& stdout_path() const { return out_; }
    std::string stderr_text() const;

private:
    pid_t pid_ = -1;
    std::optional<int> status_;
    fs::path out_, err_;
};

// True if `p` is still running 50 ms from now (a server that could not bind exits at once).
bool still_running_after_a_moment(Process& p);

// Read a whole file ("" if it cannot be read).
std::string read_file(const fs::path& p);
void write_file(const fs::path& p, const std::string& data);  // creates parent folders
// Deterministic pseudo-random bytes.
std::string random_bytes(std::size_t n, unsigned seed = 1);

// A server logs a request just after sending its response, so a test that has
// its answer may read the log a moment too early: this waits until the file
// has not grown for a little while (at most 2 s), then reads it.
std::string read_settled(const fs::path& p);

// Lines of `text` that contain `needle` (counting requests in a log).
int count_lines_containing(const std::string& text, const std::string& needle);

// Run a command to completion (argv form); returns exit status, output in `out`.
int run_command(const std::vector<std::string>& argv, std::string* out = nullptr);

// `cache-tier serve` on a free port of 127.0.0.1 with `cache_dir`, plus `extra` flags.
class CacheTierServer {
public:
    // `wrapper` comes before the binary on the command line (e.g. setpriv to drop root).
    CacheTierServer(const fs::path& cache_dir, std::vector<std::string> extra = {},
                    std::map<std::string, std::string> env = {}, std::vector<std::string> wrapper = {});
    // Stops the server as an operator does (SIGTERM), so that it exits through
    // its shutdown path and a sanitizer build checks it for leaks on the way
    // out; SIGKILL if it is still there after a few seconds.
    ~CacheTierServer();
    CacheTierServer(const CacheTierServer&) = delete;
    CacheTierServer& operator=(const CacheTierServer&) = delete;
    // The port requests go to: the HTTPS listener in TLS mode (support/tls.hpp).
    int port() const { return port_; }
    int plain_port() const { return plain_port_; }  // the plain HTTP listener
    std::string base_url() const;  // "http://127.0.0.1:PORT", or https:// in TLS mode
    Process& process() { return *proc_; }
    const fs::path& log_dir() const { return logs_.path(); }

private:
    TempDir logs_;
    int port_;
    int plain_port_ = 0;
    std::unique_ptr<Process> proc_;
};

// Debian's nginx serving `root` on a free port, as an origin or front proxy.
// `extra_server_conf` goes inside the server block. Access log in combined
// format at access_log_path().
class Nginx {
public:
    explicit Nginx(const fs::path& root, const std::string& extra_server_conf = "",
                   const std::string& extra_http_conf = "");
    ~Nginx();
    int port() const { return port_; }
    std::string base_url() const;
    fs::path access_log_path() const { return dir_.path() / "access.log"; }
    // Requests in the access log whose request line contains `needle`.
    int count_requests(const std::string& needle) const;

private:
    TempDir dir_;
    int port_;
    std::unique_ptr<Process> proc_;
};

}  // namespace ct_test
