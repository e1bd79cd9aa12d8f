#pragma once
// One client connection: read -> parse -> handle -> write, in a loop, so
// pipelined requests are answered in order. Headers are built by hand and
// bodies go out through the connection's Transport (plain: sendmsg and
// sendfile straight on the socket; or TLS); the event loop is only asked to
// wait when the socket would block. Between requests the connection holds no
// read buffer: it waits for readability and borrows one from its worker.
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <memory>
#include <string>

#include "common/unique_fd.hpp"
#include "http/response.hpp"
#include "server/exchange.hpp"
#include "server/header_scanner.hpp"
#include "server/readiness.hpp"
#include "server/request_parser.hpp"
#include "server/transport.hpp"

namespace cache_tier::server {

class Worker;

class Connection final : public std::enable_shared_from_this<Connection>, public ReadyListener {
public:
    Connection(Worker& worker, boost::asio::ip::tcp::socket socket, std::unique_ptr<Transport> transport);
    ~Connection();
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    void start();
    // Called by the worker's tick.
    bool expired(std::chrono::steady_clock::time_point now) const { return now >= deadline_; }
    void abort();             // timeout or forced shutdown: close now
    void close_when_idle();   // graceful shutdown: close now if between requests, else after the response
    void on_ready(std::uint32_t events) override;  // the worker's readiness set saw the socket change

    Connection* prev = nullptr;
    Connection* next = nullptr;

private:
    enum class Phase { reading, deferred, writing, lingering, closed };

    void process();
    void begin_request();
    void read_rest_of_header();
    void read_more();
    void read_now();
    bool make_room();
    void release_buffer();
    bool has_request() const { return ex_ && ex_->parser; }
    bool take_body();
    void read_body();
    // The last read (wait_read) or write (wait_write) would block: `next`
    // runs once the socket is ready for it again. Until then the connection
    // holds itself, and close() lets go.
    using Next = void (*)(Connection&);
    void await(IoResult::Kind kind, Next next);
    bool handle_request();  // false: the handler deferred its answer (see retry)
    void defer();
    void retry();
    void respond_error(int status);
    void build_head(const http::Request* req);
    enum class Sent { all, blocked, waiting_for_data };
    Sent write_some();
    // Sends what it can; true when the response is complete, else it waits
    // (for the socket, or for a filling file's next bytes) and resumes itself.
    bool send_or_wait();
    void wait_to_send();
    void wait_for_data();
    void resume_sending();
    void finish_response();
    void record_response();
    void linger();
    void drain();
    void close();

    Worker& worker_;
    UniqueFd fd_;  // in the worker's readiness set until closed
    std::unique_ptr<Transport> transport_;
    std::unique_ptr<char[]> buf_;  // null while idle between requests
    std::size_t cap_ = 0, begin_ = 0, end_ = 0;
    HeaderScanner scanner_;  // the pending request's framing, across reads
    std::unique_ptr<Exchange> ex_;  // the request in hand; null while idle
    bool close_after_ = false;
    // Edge-triggered readiness, as nginx keeps it: set by every event of the
    // readiness set (waiting or not, so none is missed), cleared when a call
    // would block or a read found the socket drained.
    bool readable_ = true;
    bool writable_ = true;
    IoResult::Kind waiting_for_ = IoResult::Kind::done;  // done: not waiting
    Next next_ = nullptr;
    std::shared_ptr<Connection> self_;  // held only while waiting for readiness
    IoResult::Kind blocked_on_ = IoResult::Kind::wait_write;  // what a blocked send waits for
    Phase phase_ = Phase::reading;
    std::chrono::steady_clock::time_point deadline_;
    std::string peer_;  // remote address, for the access log only
};

}  // namespace cache_tier::server
