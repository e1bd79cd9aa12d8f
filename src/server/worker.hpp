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
#include <functional>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "http/handler.hpp"
#include "server/access_log.hpp"
#include "server/clock.hpp"
#include "server/exchange.hpp"
#include "server/readiness.hpp"
#include "server/spares.hpp"
#include "server/server.hpp"

namespace cache_tier::server {

class Connection;
class TlsContext;

// A listening socket and what its connections speak.
struct Listener {
    int fd = -1;
    TlsContext* tls = nullptr;  // null: plain HTTP; else HTTPS with this context
};

// Lets other threads (a fill's writer waking the connections that stream its
// file) run work on a worker's loop for as long as the worker lives; once it
// is gone, posting does nothing instead of touching a destroyed loop.
class LoopPoster {
public:
    explicit LoopPoster(boost::asio::io_context& io) : io_(&io) {}
    void post(std::function<void()> work);
    void close();

private:
    std::mutex mutex_;
    boost::asio::io_context* io_;
};

struct SharedState {
    SharedState(const ServerOptions& o, AccessLog* log) : options(o), access_log(log) {}
    const ServerOptions& options;
    AccessLog* access_log = nullptr;  // null: off
    std::atomic<std::size_t> connections{0};
};

class Worker {
public:
    // Accepts on its own duplicate of every listening socket.
    Worker(SharedState& shared, http::HandlerFactory& handlers, const std::vector<Listener>& listeners);
    // Without a listening socket: connections come only through serve(). Tests
    // build one and drive its io() on their own thread.
    Worker(SharedState& shared, http::HandlerFactory& handlers);
    ~Worker();

    void run();             // on the worker's own thread
    void begin_shutdown();  // post()ed from the signal thread
    // Serve a connected socket on this worker's loop (what accept does with
    // each one); over TLS with `tls`.
    void serve(boost::asio::ip::tcp::socket socket, TlsContext* tls = nullptr);

    boost::asio::io_context& io() { return io_; }
    const std::shared_ptr<LoopPoster>& poster() const { return poster_; }
    SharedState& shared() { return shared_; }
    const ServerOptions& options() const { return shared_.options; }
    CoarseClock& clock() { return clock_; }
    http::Handler& handler() { return *handler_; }
    Readiness& readiness() { return readiness_; }
    bool stopping() const { return stopping_; }

    // Connections link themselves in and out of the worker's list.
    void attach(Connection* c);
    void detach(Connection* c);
    // A connection waiting for a filling file's next bytes is held here, on its
    // own loop, not by the fill's writer: it is never destroyed on another
    // thread, nor after its worker.
    void park(std::shared_ptr<Connection> c);
    std::shared_ptr<Connection> unpark(Connection* c);

    // Read buffers of kReadBuffer bytes, lent to a connection only while it
    // has a request to read: an idle keep-alive connection holds none (as
    // nginx frees its header buffer between requests). A few are kept for
    // reuse, so the hot path does not go to the allocator.
    static constexpr std::size_t kReadBuffer = 4096;
    std::unique_ptr<char[]> take_buffer();
    void give_buffer(std::unique_ptr<char[]> buffer);
    std::unique_ptr<Exchange> take_exchange();
    void give_exchange(std::unique_ptr<Exchange> exchange);

private:
    struct Acceptor {
        explicit Acceptor(boost::asio::io_context& io) : socket(io), retry(io) {}
        boost::asio::ip::tcp::acceptor socket;
        boost::asio::steady_timer retry;
        TlsContext* tls = nullptr;
    };
    void accept(Acceptor& on);
    void tick();
    void reject(boost::asio::ip::tcp::socket& socket, bool tls);

    SharedState& shared_;
    boost::asio::io_context io_{1};
    std::shared_ptr<LoopPoster> poster_ = std::make_shared<LoopPoster>(io_);
    Readiness readiness_{io_};
    std::vector<std::unique_ptr<Acceptor>> acceptors_;
    boost::asio::steady_timer ticker_;
    CoarseClock clock_;
    std::unique_ptr<http::Handler> handler_;
    Connection* head_ = nullptr;  // intrusive list of live connections
    bool stopping_ = false;
    std::chrono::steady_clock::time_point force_close_at_{};
    std::size_t accept_failures_ = 0;  // since the last warning
    std::chrono::steady_clock::time_point next_accept_warning_{};
    Spares<char[]> spare_buffers_;
    Spares<Exchange> spare_exchanges_;
    // Last: destroyed first, while the list the connections leave is still there.
    std::unordered_map<Connection*, std::shared_ptr<Connection>> parked_;
};

}  // namespace cache_tier::server
