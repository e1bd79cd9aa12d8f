#include "server/worker.hpp"

#include <boost/asio/post.hpp>

#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/unique_fd.hpp"
#include "http/status.hpp"
#include "metrics/catalog.hpp"
#include "server/connection.hpp"
#include "server/tls_context.hpp"
#include "server/tls_transport.hpp"

namespace cache_tier::server {

namespace asio = boost::asio;
using asio::ip::tcp;

Worker::Worker(SharedState& shared, http::HandlerFactory& handlers)
    : shared_(shared), ticker_(io_), handler_(handlers()) {
    readiness_.start();
}

Worker::Worker(SharedState& shared, http::HandlerFactory& handlers, const std::vector<Listener>& listeners)
    : Worker(shared, handlers) {
    for (const Listener& listener : listeners) {
        boost::system::error_code ec;
        // Every worker accepts on its own duplicate of each listening socket:
        // a port is bound once, so a second server on it fails cleanly.
        sockaddr_storage addr{};
        socklen_t len = sizeof addr;
        ::getsockname(listener.fd, reinterpret_cast<sockaddr*>(&addr), &len);
        UniqueFd fd(::dup(listener.fd));
        if (!fd) throw std::runtime_error(std::string("listening socket: ") + std::strerror(errno));
        auto& on = *acceptors_.emplace_back(std::make_unique<Acceptor>(io_));
        on.tls = listener.tls;
        on.socket.assign(addr.ss_family == AF_INET6 ? tcp::v6() : tcp::v4(), fd.get(), ec);
        if (ec) throw std::runtime_error("listening socket: " + ec.message());
        fd.release();  // the acceptor owns it now
        on.socket.non_blocking(true, ec);
    }
}

Worker::~Worker() { poster_->close(); }

void LoopPoster::post(std::function<void()> work) {
    std::lock_guard lock(mutex_);
    if (io_) boost::asio::post(*io_, std::move(work));
}

void LoopPoster::close() {
    std::lock_guard lock(mutex_);
    io_ = nullptr;
}

void Worker::run() {
    for (auto& on : acceptors_) accept(*on);
    tick();
    for (;;) {
        try {
            io_.run();
            return;
        } catch (const std::exception& e) {
            // Handlers catch what they expect; anything else is logged and the loop goes on.
            spdlog::error("event loop: {}", e.what());
        }
    }
}

void Worker::accept(Acceptor& on) {
    on.socket.async_accept([this, &on](const boost::system::error_code& ec, tcp::socket socket) {
        if (ec == asio::error::operation_aborted || stopping_) return;
        if (ec) {
            // Out of descriptors or memory: wait a little instead of spinning,
            // and say so once a minute, not at every retry (ten a second).
            ++accept_failures_;
            if (const auto now = clock_.now(); now >= next_accept_warning_) {
                spdlog::warn("accept failed: {} ({} time{} since the last warning; retrying every 100 ms)",
                             ec.message(), accept_failures_, accept_failures_ == 1 ? "" : "s");
                accept_failures_ = 0;
                next_accept_warning_ = now + std::chrono::minutes(1);
            }
            on.retry.expires_after(std::chrono::milliseconds(100));
            on.retry.async_wait([this, &on](const boost::system::error_code& e) {
                if (!e) accept(on);
            });
            return;
        }
        if (shared_.connections.load(std::memory_order_relaxed) >= shared_.options.max_connections)
            reject(socket, on.tls != nullptr);
        else
            serve(std::move(socket), on.tls);
        accept(on);
    });
}

void Worker::serve(tcp::socket socket, TlsContext* tls) {
    const int fd = socket.native_handle();
    std::unique_ptr<Transport> transport;
    if (!tls) {
        transport = std::make_unique<PlainTransport>(fd);
    } else if (SSL* ssl = tls->new_ssl()) {
        transport = std::make_unique<TlsTransport>(fd, ssl);
    } else {
        boost::system::error_code ec;
        socket.close(ec);  // out of memory: as a failed accept would
        return;
    }
    std::make_shared<Connection>(*this, std::move(socket), std::move(transport))->start();
}

std::unique_ptr<char[]> Worker::take_buffer() {
    return spare_buffers_.take([] { return std::make_unique_for_overwrite<char[]>(kReadBuffer); });
}

void Worker::give_buffer(std::unique_ptr<char[]> buffer) { spare_buffers_.give(std::move(buffer)); }

std::unique_ptr<Exchange> Worker::take_exchange() {
    return spare_exchanges_.take([] { return std::make_unique<Exchange>(); });
}

void Worker::give_exchange(std::unique_ptr<Exchange> exchange) { spare_exchanges_.give(std::move(exchange)); }

void Worker::reject(tcp::socket& socket, bool tls) {
    // Past max_connections: one canned answer, sent without waiting, then the connection goes.
    static const std::string busy = [] {
        std::string response;
        http::append_status_line(response, 503);
        response += "Content-Length: 0\r\nConnection: close\r\nRetry-After: 1\r\n\r\n";
        return response;
    }();
    // Over TLS the answer would need a handshake first: the connection just closes.
    if (!tls) ::send(socket.native_handle(), busy.data(), busy.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    metrics::connection_rejected();
    boost::system::error_code ec;
    socket.close(ec);
}

void Worker::tick() {
    clock_.update();
    try {
        handler_->tick(clock_.unix_seconds());
    } catch (const std::exception& e) {
        // Upkeep that failed may succeed next time; the timeouts below must be enforced.
        spdlog::error("handler upkeep: {}", e.what());
    }
    auto now = clock_.now();
    bool force = stopping_ && now >= force_close_at_;
    for (Connection* c = head_; c;) {
        Connection* next = c->next;
        if (force || c->expired(now)) c->abort();
        c = next;
    }
    if (stopping_ && !head_) return readiness_.stop();  // nothing left: let io_.run() return
    ticker_.expires_after(std::chrono::seconds(1));
    ticker_.async_wait([this](const boost::system::error_code& ec) {
        if (!ec) tick();
    });
}

void Worker::begin_shutdown() {
    if (stopping_) return;
    stopping_ = true;
    force_close_at_ = clock_.now() + shared_.options.shutdown_timeout;
    boost::system::error_code ec;
    for (auto& on : acceptors_) {
        on->socket.close(ec);
        on->retry.cancel();
    }
    for (Connection* c = head_; c;) {
        Connection* next = c->next;
        c->close_when_idle();
        c = next;
    }
    // Re-run the tick now so an idle worker exits at once.
    ticker_.cancel();
    asio::post(io_, [this] { tick(); });
}

void Worker::attach(Connection* c) {
    c->next = head_;
    if (head_) head_->prev = c;
    head_ = c;
}

void Worker::park(std::shared_ptr<Connection> c) {
    Connection* key = c.get();
    parked_[key] = std::move(c);
}

std::shared_ptr<Connection> Worker::unpark(Connection* c) {
    auto it = parked_.find(c);
    if (it == parked_.end()) return nullptr;
    auto held = std::move(it->second);
    parked_.erase(it);
    return held;
}

void Worker::detach(Connection* c) {
    if (c->prev) c->prev->next = c->next;
    if (c->next) c->next->prev = c->prev;
    if (head_ == c) head_ = c->next;
    c->prev = c->next = nullptr;
}

}  // namespace cache_tier::server
