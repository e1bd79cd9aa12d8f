#include "support/process.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "support/tls.hpp"

extern char** environ;

namespace ct_test {

TempDir::TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "cache-tier-test-XXXXXX").string();
    if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
}

TempDir::~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
}

// A server that lost the race for its port exits at once; one still running
// a moment after its port answers is the one that bound it.
bool still_running_after_a_moment(Process& p) {
    std::this_thread::sleep_for(50ms);
    return p.running();
}

int free_port() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        ::close(fd);
        throw std::runtime_error("bind to a free port failed");
    }
    socklen_t len = sizeof addr;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    ::close(fd);
    return ntohs(addr.sin_port);
}

bool wait_for_port(int port, std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        int fd = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        addr.sin_port = htons(static_cast<uint16_t>(port));
        int rc = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
        ::close(fd);
        if (rc == 0) return true;
        std::this_thread::sleep_for(20ms);
    }
    return false;
}

Process::Process(std::vector<std::string> argv, const fs::path& log_dir,
                 std::map<std::string, std::string> extra_env) {
    static int counter = 0;
    ++counter;
    std::string base = fs::path(argv.at(0)).filename().string() + "-" + std::to_string(::getpid()) + "-" +
                       std::to_string(counter);
    out_ = log_dir / (base + ".out");
    err_ = log_dir / (base + ".err");
    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
        int out = ::open(out_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int err = ::open(err_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int devnull = ::open("/dev/null", O_RDONLY);
        ::dup2(devnull, 0);
        ::dup2(out, 1);
        ::dup2(err, 2);
        ::setpgid(0, 0);
        // A test that dies must not leave its servers behind.
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        for (auto& [k, v] : extra_env) ::setenv(k.c_str(), v.c_str(), 1);
        std::vector<char*> args;
        for (auto& a : argv) args.push_back(a.data());
        args.push_back(nullptr);
        ::execvp(args[0], args.data());
        std::fprintf(stderr, "exec %s: %s\n", args[0], std::strerror(errno));
        ::_exit(127);
    }
}

Process::~Process() {
    if (running()) kill9();
}

bool Process::running() {
    if (status_ || pid_ <= 0) return false;
    int st = 0;
    pid_t r = ::waitpid(pid_, &st, WNOHANG);
    if (r == pid_) {
        status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        return false;
    }
    return true;
}

std::optional<int> Process::wait(std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (running()) {
        if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
        std::this_thread::sleep_for(10ms);
    }
    return status_;
}

std::optional<int> Process::stop(int sig, std::chrono::milliseconds timeout) {
    if (running()) ::kill(pid_, sig);
    return wait(timeout);
}

void Process::kill9() {
    if (!running()) return;
    ::kill(pid_, SIGKILL);
    wait(10s);
}

std::string Process::stdout_text() const { return read_file(out_); }
std::string Process::stderr_text() const { return read_file(err_); }

std::string read_file(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

void write_file(const fs::path& p, const std::string& data) {
    if (p.has_parent_path()) fs::create_directories(p.parent_path());
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out.write(data.data(), static_cast<std::streamsize>(data.size()));
    if (!out) throw std::runtime_error("cannot write " + p.string());
}

std::string random_bytes(std::size_t n, unsigned seed) {
    std::mt19937_64 rng(seed);
    std::string s(n, '\0');
    for (std::size_t i = 0; i < n; i += 8) {
        auto v = rng();
        std::memcpy(s.data() + i, &v, std::min<std::size_t>(8, n - i));
    }
    return s;
}

int run_command(const std::vector<std::string>& argv, std::string* out) {
    int pipefd[2];
    if (::pipe(pipefd) != 0) return -1;
    pid_t pid = ::fork();
    if (pid == 0) {
        ::dup2(pipefd[1], 1);
        ::dup2(pipefd[1], 2);
        ::close(pipefd[0]);
        std::vector<char*> args;
        for (auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
        args.push_back(nullptr);
        ::execvp(args[0], args.data());
        ::_exit(127);
    }
    ::close(pipefd[1]);
    std::string text;
    char buf[4096];
    ssize_t n;
    while ((n = ::read(pipefd[0], buf, sizeof buf)) > 0) text.append(buf, static_cast<size_t>(n));
    ::close(pipefd[0]);
    int st = 0;
    ::waitpid(pid, &st, 0);
    if (out) *out = text;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

CacheTierServer::CacheTierServer(const fs::path& cache_dir, std::vector<std::string> extra,
                                 std::map<std::string, std::string> env, std::vector<std::string> wrapper) {
    for (int attempt = 0; attempt < 5; ++attempt) {
        port_ = free_port();
        const int tls_port = tls_mode() ? free_port() : 0;
        std::vector<std::string> argv = wrapper;
        for (std::string arg : {std::string(CACHE_TIER_BINARY), std::string("serve"), std::string("--listen"),
                                "127.0.0.1:" + std::to_string(port_), std::string("--cache-dir"), cache_dir.string()})
            argv.push_back(std::move(arg));
        if (tls_port) {
            const TestCertificate& cert = shared_certificate();
            for (std::string arg : {std::string("--tls-listen"), "127.0.0.1:" + std::to_string(tls_port),
                                    std::string("--tls-certificate"), cert.certificate.string(),
                                    std::string("--tls-certificate-key"), cert.key.string()})
                argv.push_back(std::move(arg));
        }
        argv.insert(argv.end(), extra.begin(), extra.end());
        proc_ = std::make_unique<Process>(argv, logs_.path(), env);
        // Ready when it says it listens on that port: a bare connect could reach
        // another test's server that took the same free port a moment earlier.
        const std::string ready = "listening on 127.0.0.1:" + std::to_string(port_) + ",";
        const std::string tls_ready = "HTTPS on 127.0.0.1:" + std::to_string(tls_port) + ":";
        auto deadline = std::chrono::steady_clock::now() + 10s;
        while (proc_->running() && std::chrono::steady_clock::now() < deadline) {
            const std::string said = proc_->stderr_text();
            if (said.find(ready) != std::string::npos && wait_for_port(port_, 5s) &&
                (!tls_port || (said.find(tls_ready) != std::string::npos && wait_for_port(tls_port, 5s)))) {
                plain_port_ = port_;
                if (tls_port) {
                    // The suite's requests go to the HTTPS listener, over TLS.
                    port_ = tls_port;
                    register_tls_port(port_);
                }
                return;
            }
            std::this_thread::sleep_for(10ms);
        }
        proc_->kill9();
    }
    throw std::runtime_error("cache-tier serve did not start: " + proc_->stderr_text());
}

CacheTierServer::~CacheTierServer() {
    if (proc_) proc_->stop(SIGTERM, 5s);
}

std::string CacheTierServer::base_url() const {
    return (is_tls_port(port_) ? "https://127.0.0.1:" : "http://127.0.0.1:") + std::to_string(port_);
}

Nginx::Nginx(const fs::path& root, const std::string& extra_server_conf, const std::string& extra_http_conf) {
    fs::create_directories(dir_.path() / "logs");
    for (int attempt = 0; attempt < 5; ++attempt) {
        port_ = free_port();
        std::ostringstream conf;
        conf << "worker_processes 1;\n"
             // Tests run as root with 0700 temp dirs: workers must be able to read them.
             << (::geteuid() == 0 ? "user root;\n" : "")
             << "daemon off;\n"
             << "pid " << (dir_.path() / "nginx.pid").string() << ";\n"
             << "error_log " << (dir_.path() / "error.log").string() << " warn;\n"
             << "events { worker_connections 1024; }\n"
             << "http {\n"
             << "  default_type application/octet-stream;\n"
             << "  access_log " << access_log_path().string() << " combined;\n"
             << "  client_body_temp_path " << (dir_.path() / "body").string() << ";\n"
             << "  proxy_temp_path " << (dir_.path() / "proxy").string() << ";\n"
             << "  fastcgi_temp_path " << (dir_.path() / "fastcgi").string() << ";\n"
             << "  uwsgi_temp_path " << (dir_.path() / "uwsgi").string() << ";\n"
             << "  scgi_temp_path " << (dir_.path() / "scgi").string() << ";\n"
             << "  sendfile on;\n"
             << extra_http_conf << "\n"
             << "  server {\n"
             << "    listen 127.0.0.1:" << port_ << ";\n"
             << "    root " << root.string() << ";\n"
             << extra_server_conf << "\n"
             << "  }\n"
             << "}\n";
        write_file(dir_.path() / "nginx.conf", conf.str());
        proc_ = std::make_unique<Process>(
            std::vector<std::string>{"/usr/sbin/nginx", "-p", dir_.path().string(), "-c",
                                     (dir_.path() / "nginx.conf").string()},
            dir_.path());
        if (wait_for_port(port_, 10s) && still_running_after_a_moment(*proc_)) return;
        proc_->kill9();
    }
    throw std::runtime_error("nginx did not start: " + proc_->stderr_text() +
                             read_file(dir_.path() / "error.log"));
}

Nginx::~Nginx() {
    if (proc_) proc_->stop(SIGQUIT, 5s);
}

std::string Nginx::base_url() const { return "http://127.0.0.1:" + std::to_string(port_); }

int Nginx::count_requests(const std::string& needle) const {
    return count_lines_containing(read_settled(access_log_path()), needle);
}

std::string read_settled(const fs::path& p) {
    auto size_of = [&p] {
        std::error_code ec;
        auto n = fs::file_size(p, ec);
        return ec ? std::uintmax_t(0) : n;
    };
    auto deadline = std::chrono::steady_clock::now() + 2s;
    std::uintmax_t last = size_of();
    for (int stable = 0; stable < 3 && std::chrono::steady_clock::now() < deadline;) {
        std::this_thread::sleep_for(20ms);
        std::uintmax_t now = size_of();
        stable = now == last ? stable + 1 : 0;
        last = now;
    }
    return read_file(p);
}

int count_lines_containing(const std::string& text, const std::string& needle) {
    std::istringstream in(text);
    std::string line;
    int n = 0;
    while (std::getline(in, line))
        if (line.find(needle) != std::string::npos) ++n;
    return n;
}

}  // namespace ct_test
