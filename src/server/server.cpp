#include "server/server.hpp"

#include <netdb.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <csignal>
#include <cstring>
#include <stdexcept>
#include <thread>
#include <vector>

#include "common/unique_fd.hpp"
#include "metrics/catalog.hpp"
#include "server/tls_context.hpp"
#include "server/worker.hpp"

namespace cache_tier::server {

namespace asio = boost::asio;

namespace {

// Resolve and bind a listening socket all workers share; `key` names the
// setting in errors ("listen 127.0.0.1:80: Permission denied").
UniqueFd bind_listener(const std::string& host, std::uint16_t port_number, const std::string& key) {
    std::string where = key + " " + address_text(host, port_number);
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    addrinfo* found = nullptr;
    std::string port = std::to_string(port_number);
    int rc = ::getaddrinfo(host.empty() ? nullptr : host.c_str(), port.c_str(), &hints, &found);
    if (rc != 0) throw std::runtime_error(where + ": cannot resolve host: " + ::gai_strerror(rc));
    std::string error = "no address";
    UniqueFd fd;
    for (addrinfo* ai = found; ai && !fd; ai = ai->ai_next) {
        fd.reset(::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol));
        if (!fd) {
            error = std::strerror(errno);
            continue;
        }
        int one = 1;
        ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (::bind(fd.get(), ai->ai_addr, ai->ai_addrlen) != 0 || ::listen(fd.get(), 4096) != 0) {
            error = std::strerror(errno);
            fd.reset();
        }
    }
    ::freeaddrinfo(found);
    if (!fd) throw std::runtime_error(where + ": " + error);
    return fd;
}

std::uint16_t bound_port(int fd) {
    sockaddr_storage addr{};
    socklen_t len = sizeof addr;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    if (addr.ss_family == AF_INET6) return ntohs(reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port);
    return ntohs(reinterpret_cast<sockaddr_in*>(&addr)->sin_port);
}

}  // namespace

std::string address_text(const std::string& host, std::uint16_t port) {
    const bool v6 = host.find(':') != std::string::npos;
    return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

std::uint64_t raise_open_file_limit() {
    rlimit lim{};
    if (::getrlimit(RLIMIT_NOFILE, &lim) != 0) return 0;
    if (lim.rlim_cur < lim.rlim_max) {
        rlimit raised = lim;
        raised.rlim_cur = lim.rlim_max;
        if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) lim = raised;
    }
    return lim.rlim_cur;
}

struct Server::Impl {
    ServerOptions options;
    http::HandlerFactory handlers;
    std::unique_ptr<AccessLog> access_log;
    std::unique_ptr<SharedState> shared;
    UniqueFd listen_fd;
    std::unique_ptr<TlsContext> tls;  // null: no HTTPS listener
    std::vector<UniqueFd> tls_fds;
    asio::io_context signals_io{1};
    asio::signal_set signals{signals_io};
    std::vector<std::unique_ptr<Worker>> workers;

    void shutdown() {
        for (auto& w : workers) asio::post(w->io(), [wp = w.get()] { wp->begin_shutdown(); });
        boost::system::error_code ec;
        signals.cancel(ec);
    }

    // New connections get the new pair; open ones keep theirs.
    void reload_certificate() {
        if (Status s = tls->reload(); !s)
            spdlog::error("SIGHUP: TLS certificate not reloaded, the current one stays: {}", s.error().message);
        else
            spdlog::info("SIGHUP: TLS certificate reloaded: {}", tls->subject());
    }

    void bind_tls_listeners() {
        const ServerOptions& o = options;
        auto loaded = TlsContext::load({o.tls_certificate, o.tls_certificate_key});
        if (!loaded) throw std::runtime_error(loaded.error().message);
        tls = std::move(*loaded);
        for (const ListenAddress& a : o.tls_listen) {
            tls_fds.push_back(bind_listener(a.host, a.port, "tls_listen"));
            const std::string where = address_text(a.host, bound_port(tls_fds.back().get()));
            metrics::tls_listener(where, tls->kernel_tls());
            spdlog::info("HTTPS on {}: certificate {} ({}); files go out with {}", where, o.tls_certificate,
                         tls->subject(),
                         tls->kernel_tls() ? "kernel TLS (SSL_sendfile)"
                                           : "SSL_write from a 16 KiB buffer (this kernel has no TLS module)");
        }
    }

    void wait_signal() {
        signals.async_wait([this](const boost::system::error_code& ec, int sig) {
            if (ec) return;
            if (sig == SIGHUP) {
                if (access_log && !access_log->reopen()) spdlog::error("SIGHUP: cannot reopen the access log");
                spdlog::info("SIGHUP: access log reopened");
                if (tls) reload_certificate();
                return wait_signal();
            }
            spdlog::info("{}: finishing the responses in flight", sig == SIGTERM ? "SIGTERM" : "SIGINT");
            shutdown();
        });
    }
};

Server::Server(ServerOptions options, http::HandlerFactory handlers) : impl_(std::make_unique<Impl>()) {
    impl_->options = std::move(options);
    impl_->handlers = std::move(handlers);
    if (impl_->options.threads == 0) impl_->options.threads = std::max(1u, std::thread::hardware_concurrency());
    if (!impl_->options.access_log.empty())
        impl_->access_log = std::make_unique<AccessLog>(impl_->options.access_log);
    impl_->shared = std::make_unique<SharedState>(impl_->options, impl_->access_log.get());
    impl_->listen_fd = bind_listener(impl_->options.host, impl_->options.port, "listen");
    if (!impl_->options.tls_listen.empty()) impl_->bind_tls_listeners();
}

Server::~Server() = default;

std::uint16_t Server::port() const { return bound_port(impl_->listen_fd.get()); }

std::vector<std::uint16_t> Server::tls_ports() const {
    std::vector<std::uint16_t> ports;
    for (const UniqueFd& fd : impl_->tls_fds) ports.push_back(bound_port(fd.get()));
    return ports;
}

void Server::run() {
    // A peer that disappears mid-sendfile must not kill the process.
    std::signal(SIGPIPE, SIG_IGN);
    std::vector<Listener> listeners{{impl_->listen_fd.get(), nullptr}};
    for (const UniqueFd& fd : impl_->tls_fds) listeners.push_back({fd.get(), impl_->tls.get()});
    for (unsigned i = 0; i < impl_->options.threads; ++i)
        impl_->workers.push_back(std::make_unique<Worker>(*impl_->shared, impl_->handlers, listeners));
    impl_->signals.add(SIGINT);
    impl_->signals.add(SIGTERM);
    impl_->signals.add(SIGHUP);
    impl_->wait_signal();

    std::vector<std::thread> threads;
    for (auto& w : impl_->workers) threads.emplace_back([wp = w.get()] { wp->run(); });
    impl_->signals_io.run();
    for (auto& t : threads) t.join();
    spdlog::info("stopped");
}

void Server::stop() {
    asio::post(impl_->signals_io, [this] { impl_->shutdown(); });
}

}  // namespace cache_tier::server
