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
#include "server/worker.hpp"

namespace cache_tier::server {

namespace asio = boost::asio;

namespace {

// Resolve and bind the one listening socket all workers share.
UniqueFd bind_listener(const ServerOptions& o) {
    std::string where = "listen " + o.host + ":" + std::to_string(o.port);
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    addrinfo* found = nullptr;
    std::string port = std::to_string(o.port);
    int rc = ::getaddrinfo(o.host.empty() ? nullptr : o.host.c_str(), port.c_str(), &hints, &found);
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

}  // namespace

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
    asio::io_context signals_io{1};
    asio::signal_set signals{signals_io};
    std::vector<std::unique_ptr<Worker>> workers;

    void shutdown() {
        for (auto& w : workers) asio::post(w->io(), [wp = w.get()] { wp->begin_shutdown(); });
        boost::system::error_code ec;
        signals.cancel(ec);
    }

    void wait_signal() {
        signals.async_wait([this](const boost::system::error_code& ec, int sig) {
            if (ec) return;
            if (sig == SIGHUP) {
                if (access_log && !access_log->reopen()) spdlog::error("SIGHUP: cannot reopen the access log");
                spdlog::info("SIGHUP: access log reopened");
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
    impl_->listen_fd = bind_listener(impl_->options);
}

Server::~Server() = default;

std::uint16_t Server::port() const {
    sockaddr_storage addr{};
    socklen_t len = sizeof addr;
    ::getsockname(impl_->listen_fd.get(), reinterpret_cast<sockaddr*>(&addr), &len);
    if (addr.ss_family == AF_INET6) return ntohs(reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port);
    return ntohs(reinterpret_cast<sockaddr_in*>(&addr)->sin_port);
}

void Server::run() {
    // A peer that disappears mid-sendfile must not kill the process.
    std::signal(SIGPIPE, SIG_IGN);
    for (unsigned i = 0; i < impl_->options.threads; ++i)
        impl_->workers.push_back(std::make_unique<Worker>(*impl_->shared, impl_->handlers, impl_->listen_fd.get()));
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
