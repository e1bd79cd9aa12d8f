#pragma once
// One event loop on one thread: its own acceptor (a duplicate of the shared
// listening socket), its own handler and file cache, its connections and a
// once-a-second tick that refreshes the clock, enforces timeouts and gives the
// handler its upkeep (http::Handler::tick). Nothing here is shared between
// threads except SharedState.
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <memory>

#include "http/handler.hpp"
#include "server/access_log.hpp"
#include "server/clock.hpp"
#include "server/server.hpp"

namespace cache_tier::server {

class Connection;

struct SharedState {
    SharedState(const ServerOptions& o, AccessLog* log) : options(o), access_log(log) {}
    const ServerOptions& options;
    AccessLog* access_log = nullptr;  // null: off
    std::atomic<std::size_t> connections{0};
};

class Worker {
public:
    // Accepts on its own duplicate of `listen_fd`.
    Worker(SharedState& shared, http::HandlerFactory& handlers, int listen_fd);
    // Without a listening socket: connections come only through serve(). Tests
    // build one and drive its io() on their own thread.
    Worker(SharedState& shared, http::HandlerFactory& handlers);
    ~Worker();

    void run();             // on the worker's own thread
    void begin_shutdown();  // post()ed from the signal thread
    // Serve a connected socket on this worker's loop (what accept does with each one).
    void serve(boost::asio::ip::tcp::socket socket);

    boost::asio::io_context& io() { return io_; }
    SharedState& shared() { return shared_; }
    const ServerOptions& options() const { return shared_.options; }
    CoarseClock& clock() { return clock_; }
    http::Handler& handler() { return *handler_; }
    bool stopping() const { return stopping_; }

    // Connections link themselves in and out of the worker's list.
    void attach(Connection* c);
    void detach(Connection* c);

private:
    void accept();
    void tick();
    void reject(boost::asio::ip::tcp::socket& socket);

    SharedState& shared_;
    boost::asio::io_context io_{1};
    boost::asio::ip::tcp::acceptor acceptor_;
    boost::asio::steady_timer ticker_;
    boost::asio::steady_timer accept_retry_;
    CoarseClock clock_;
    std::unique_ptr<http::Handler> handler_;
    Connection* head_ = nullptr;  // intrusive list of live connections
    bool stopping_ = false;
    std::chrono::steady_clock::time_point force_close_at_{};
};

}  // namespace cache_tier::server
