#include "support/serve_helpers.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace ct_test {

std::string static_url(const std::string& encoded_name) { return "/static/files_cache/" + encoded_name; }

namespace {

// Milliseconds left until `deadline`, at least 0.
int ms_left(std::chrono::steady_clock::time_point deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    return static_cast<int>(std::max<long long>(0, left.count()));
}

// One recv with a deadline: >0 bytes, 0 on close/reset, -1 on timeout.
ssize_t recv_some(int fd, char* buf, std::size_t size, std::chrono::steady_clock::time_point deadline) {
    pollfd p{fd, POLLIN, 0};
    int left = ms_left(deadline);
    if (left == 0 || ::poll(&p, 1, left) <= 0) return -1;
    ssize_t n = ::recv(fd, buf, size, 0);
    return n < 0 ? 0 : n;
}

}  // namespace

RawExchange raw_exchange(int port, const std::string& bytes, std::chrono::milliseconds timeout, bool half_close) {
    Connection c(port);
    RawExchange result;
    // A server may close (and reset) before it has read everything: that is allowed.
    c.send(bytes);
    if (half_close) ::shutdown(c.fd(), SHUT_WR);
    auto deadline = std::chrono::steady_clock::now() + timeout;
    char buf[65536];
    for (;;) {
        long n = c.recv_some(buf, sizeof buf, deadline);
        if (n < 0) break;
        if (n == 0) {
            result.closed_by_server = true;
            break;
        }
        result.received.append(buf, static_cast<std::size_t>(n));
    }
    return result;
}

namespace {

// `read(buf, size, deadline)` as recv_some answers.
template <typename Read>
bool read_until(Read read, const std::string& delimiter, std::string& into, std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    char buf[4096];
    while (into.find(delimiter) == std::string::npos) {
        const long n = read(buf, sizeof buf, deadline);
        if (n <= 0) return false;
        into.append(buf, static_cast<std::size_t>(n));
    }
    return true;
}

template <typename Read>
std::size_t read_bytes(Read read, std::size_t n, std::string* into, std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    static thread_local std::vector<char> buf(1 << 20);
    std::size_t got = 0;
    while (got < n) {
        const long r = read(buf.data(), std::min(buf.size(), n - got), deadline);
        if (r <= 0) break;
        if (into) into->append(buf.data(), static_cast<std::size_t>(r));
        got += static_cast<std::size_t>(r);
    }
    return got;
}

auto socket_reader(int fd) {
    return [fd](char* buf, std::size_t size, auto deadline) { return static_cast<long>(recv_some(fd, buf, size, deadline)); };
}

auto connection_reader(Connection& c) {
    return [&c](char* buf, std::size_t size, auto deadline) { return c.recv_some(buf, size, deadline); };
}

}  // namespace

bool recv_until(int fd, const std::string& delimiter, std::string& into, std::chrono::milliseconds timeout) {
    return read_until(socket_reader(fd), delimiter, into, timeout);
}

bool recv_until(Connection& c, const std::string& delimiter, std::string& into, std::chrono::milliseconds timeout) {
    return read_until(connection_reader(c), delimiter, into, timeout);
}

std::size_t recv_bytes(int fd, std::size_t n, std::string* into, std::chrono::milliseconds timeout) {
    return read_bytes(socket_reader(fd), n, into, timeout);
}

std::size_t recv_bytes(Connection& c, std::size_t n, std::string* into, std::chrono::milliseconds timeout) {
    return read_bytes(connection_reader(c), n, into, timeout);
}

void close_with_reset(int fd) {
    linger l{1, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    ::shutdown(fd, SHUT_RDWR);
}

void set_mtime(const fs::path& p, std::time_t seconds) {
    timespec times[2] = {{seconds, 0}, {seconds, 0}};  // atime, mtime
    if (::utimensat(AT_FDCWD, p.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0)
        throw std::runtime_error("cannot set the time of " + p.string());
}

std::string http_date(std::time_t seconds) {
    std::tm tm{};
    ::gmtime_r(&seconds, &tm);
    char buf[64];
    std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    return buf;
}

bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds timeout,
                std::chrono::milliseconds interval) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        if (condition()) return true;
        if (std::chrono::steady_clock::now() >= deadline) return false;
        std::this_thread::sleep_for(interval);
    }
}

void raise_open_file_limit() {
    rlimit rl{};
    if (::getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        ::setrlimit(RLIMIT_NOFILE, &rl);
    }
}

int count_open_fds(pid_t pid, const std::string& kind) {
    std::error_code ec;
    int n = 0;
    for (fs::directory_iterator it("/proc/" + std::to_string(pid) + "/fd", ec), end; !ec && it != end;
         it.increment(ec)) {
        std::error_code link_ec;
        if (kind.empty() || fs::read_symlink(it->path(), link_ec).string().rfind(kind, 0) == 0) ++n;
    }
    return ec ? -1 : n;
}

std::optional<std::pair<long long, long long>> process_limit(pid_t pid, const std::string& name) {
    std::istringstream in(read_file("/proc/" + std::to_string(pid) + "/limits"));
    std::string line;
    auto parse = [](const std::string& v) { return v == "unlimited" ? -1LL : std::stoll(v); };
    while (std::getline(in, line)) {
        if (line.rfind(name, 0) != 0) continue;
        std::istringstream fields(line.substr(name.size()));
        std::string soft, hard;
        fields >> soft >> hard;
        return std::make_pair(parse(soft), parse(hard));
    }
    return std::nullopt;
}

std::string lower(std::string text) {
    for (auto& ch : text) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    return text;
}

std::vector<std::string> split_lines(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) lines.push_back(line);
    return lines;
}

bool server_answers(Process& proc, int port) {
    if (!proc.running()) return false;
    try {
        auto r = http_get(port, "/");
        return r && r->status == 200;
    } catch (const std::exception&) {
        return false;
    }
}

CacheTierProcess::CacheTierProcess(std::vector<std::string> args, std::map<std::string, std::string> env) {
    args.insert(args.begin(), CACHE_TIER_BINARY);
    proc_ = std::make_unique<Process>(args, logs_.path(), env);
}

bool CacheTierProcess::wait_listening(int port, std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        if (!proc_->running()) return false;
        // Its own "listening on HOST:PORT," line, not just an open port: another
        // test's server may hold the same free port for a moment.
        const std::string err = proc_->stderr_text();
        if (err.find("listening on ") != std::string::npos &&
            err.find(":" + std::to_string(port) + ",") != std::string::npos && wait_for_port(port, 100ms))
            return proc_->running();
        std::this_thread::sleep_for(10ms);
    }
    return false;
}

CommandResult run_cache_tier(const std::vector<std::string>& args, std::chrono::milliseconds timeout,
                             const std::vector<std::string>& wrapper) {
    TempDir logs;
    std::vector<std::string> argv = wrapper;
    argv.push_back(CACHE_TIER_BINARY);
    argv.insert(argv.end(), args.begin(), args.end());
    Process p(argv, logs.path());
    CommandResult result;
    auto status = p.wait(timeout);
    if (!status) p.kill9();
    result.status = status.value_or(-1);
    result.out = p.stdout_text();
    result.err = p.stderr_text();
    return result;
}

}  // namespace ct_test
