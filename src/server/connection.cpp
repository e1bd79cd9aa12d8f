#include "server/connection.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <algorithm>
#include <boost/asio/buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <cerrno>
#include <cstring>

#include <spdlog/spdlog.h>

#include "http/number.hpp"
#include "http/status.hpp"
#include "metrics/catalog.hpp"
#include "server/worker.hpp"

namespace cache_tier::server {

namespace asio = boost::asio;
namespace bhttp = boost::beast::http;

namespace {

// sendfile moves at most this much per call, so one huge file cannot starve
// the other connections of this thread.
constexpr std::size_t kSendfileChunk = 1 << 20;
// Lingering close: how long unread input is drained after the last response,
// so the client sees the response instead of a reset.
constexpr std::chrono::seconds kLingerTime{2};

// RFC 9110 §6.4.1: 1xx, 204 and 304 responses carry no content and no length.
bool has_content_length(int status) { return status >= 200 && status != 204 && status != 304; }

}  // namespace

Connection::Connection(Worker& worker, asio::ip::tcp::socket socket, std::unique_ptr<Transport> transport)
    : worker_(worker),
      fd_(socket.release()),
      transport_(std::move(transport)),
      scanner_({worker.options().max_request_line, worker.options().max_header_bytes}) {
    ++worker_.shared().connections;
    metrics::connection_opened();
    worker_.attach(this);
}

Connection::~Connection() {
    record_response();  // a response cut short (peer gone, timeout) still counts, with what was sent
    worker_.detach(this);
    --worker_.shared().connections;
    metrics::connection_closed();
}

// Every response is counted once, when it ends, with the body bytes the socket took.
void Connection::record_response() {
    if (!ex_ || !ex_->response_pending) return;
    ex_->response_pending = false;
    metrics::record_response(ex_->response.route, ex_->response.status, ex_->response.cache_result, ex_->body_sent);
}

void Connection::start() {
    // Header and body are sent by separate calls; without NODELAY, Nagle plus
    // delayed ACK would add tens of milliseconds to every response.
    const int one = 1;
    ::setsockopt(fd_.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    int non_blocking = 1;
    ::ioctl(fd_.get(), FIONBIO, &non_blocking);
    if (worker_.shared().access_log) {
        asio::ip::tcp::endpoint ep;
        socklen_t len = static_cast<socklen_t>(ep.capacity());
        if (::getpeername(fd_.get(), ep.data(), &len) == 0 && len <= ep.capacity()) {
            ep.resize(len);
            peer_ = ep.address().to_string();
        } else {
            peer_ = "-";
        }
    }
    // A TLS handshake is bounded like a request header: a client that
    // connects and sends nothing, or stalls halfway, goes like a slowloris.
    // Counted from the real time, not the tick's: the handshake gets the
    // whole header_timeout (up to a second more), never less.
    const ServerOptions& opts = worker_.options();
    deadline_ = transport_->secure() ? std::chrono::steady_clock::now() + opts.header_timeout
                                     : worker_.clock().now() + opts.keepalive_timeout;
    if (Status added = worker_.readiness().add(fd_.get(), this); !added) {
        spdlog::error("connection: {}", added.error().message);
        return close();
    }
    read_more();
}

void Connection::abort() {
    close();
    // Waiting for a filling file: let go of it on this loop, once the caller is done with it.
    asio::post(worker_.io(), [self = shared_from_this()] { self->worker_.unpark(self.get()); });
}

void Connection::close_when_idle() {
    close_after_ = true;
    if (phase_ == Phase::reading && !has_request() && begin_ == end_) abort();
}

// The parse/handle/write loop. It returns whenever it has to wait for the
// socket, and the completion handler calls it again.
void Connection::process() {
    const ServerOptions& opts = worker_.options();
    while (phase_ == Phase::reading) {
        if (begin_ == end_) {
            begin_ = end_ = 0;
            if (close_after_) return linger();
            if (!has_request()) deadline_ = worker_.clock().now() + opts.keepalive_timeout;
            return read_more();
        }
        if (!has_request()) begin_request();
        std::string_view pending(buf_.get() + begin_, end_ - begin_);
        switch (scanner_.scan(pending)) {
            case HeaderScan::need_more: return read_rest_of_header();
            case HeaderScan::bad_line_ending:
            case HeaderScan::obsolete_line_folding: return respond_error(400);
            case HeaderScan::request_line_too_long: return respond_error(414);
            case HeaderScan::header_too_large: return respond_error(431);
            case HeaderScan::complete: break;
        }
        // The parser is only given a complete header, so the views it
        // records stay valid: the buffer is never moved under a parsed request.
        begin_ += scanner_.request_start();
        pending.remove_prefix(scanner_.request_start());
        boost::system::error_code ec;
        std::size_t used = ex_->parser->put(asio::const_buffer(pending.data(), pending.size()), ec);
        if (ec == bhttp::error::header_limit) return respond_error(431);
        if (ec) return respond_error(400);  // need_more included: a complete header must parse
        begin_ += used;
        if (!ex_->parser->is_done() && !take_body()) return;
        if (!handle_request()) return defer();
        if (!send_or_wait()) return;
        finish_response();
    }
}

// A request begins with its first byte, even of an empty line before it: from
// then on the header timeout runs and the header size limit counts.
void Connection::begin_request() {
    const ServerOptions& opts = worker_.options();
    if (!ex_) ex_ = worker_.take_exchange();
    ex_->parser.emplace();
    ex_->parser->header_limit(static_cast<std::uint32_t>(opts.max_header_bytes));
    // Bodies are never read by the parser: the handler bounds them (take_body).
    ex_->parser->body_limit(boost::none);
    scanner_.reset();
    deadline_ = worker_.clock().now() + opts.header_timeout;
}

// Keep the unfinished header at the front of the buffer, so it can grow to the limit.
void Connection::read_rest_of_header() {
    if (begin_ > 0) {
        std::memmove(buf_.get(), buf_.get() + begin_, end_ - begin_);
        end_ -= begin_;
        begin_ = 0;
    }
    read_more();
}

// Between requests (nothing buffered, no request begun) the connection only
// waits for readability, without a buffer; it reads at once when input may
// be there already.
void Connection::read_more() {
    if (readable_ || transport_->has_buffered_input()) return read_now();
    if (begin_ == end_ && !has_request()) release_buffer();
    await(IoResult::Kind::wait_read, [](Connection& c) { c.read_now(); });
}

void Connection::read_now() {
    if (!make_room()) return;
    const IoResult r = transport_->read(buf_.get() + end_, cap_ - end_);
    switch (r.kind) {
        case IoResult::Kind::done:
            end_ += r.bytes;
            readable_ = !r.drained;
            return process();
        case IoResult::Kind::wait_read:
            readable_ = false;
            return read_more();
        case IoResult::Kind::wait_write:  // TLS: a read that must write first
            return await(IoResult::Kind::wait_write, [](Connection& c) { c.read_now(); });
        case IoResult::Kind::eof:
        case IoResult::Kind::failed: return close();
    }
}

// A buffer with free space at its end: borrowed from the worker, or grown up
// to what the largest allowed header needs. False: the header is too large
// (answered with 431).
bool Connection::make_room() {
    if (!buf_) {
        buf_ = worker_.take_buffer();
        cap_ = Worker::kReadBuffer;
        begin_ = end_ = 0;
    }
    if (end_ < cap_) return true;
    const ServerOptions& opts = worker_.options();
    std::size_t limit = std::max(opts.max_header_bytes, opts.max_request_line) + 1024;
    if (cap_ >= limit) {
        respond_error(431);
        return false;
    }
    std::size_t grown = std::min(limit, cap_ * 4);
    auto bigger = std::make_unique_for_overwrite<char[]>(grown);
    std::memcpy(bigger.get(), buf_.get(), end_);
    buf_ = std::move(bigger);
    cap_ = grown;
    return true;
}

// Between requests: what the next request needs goes back to the worker.
void Connection::release_buffer() {
    if (ex_ && !ex_->response_pending) {
        ex_->clear();
        worker_.give_exchange(std::move(ex_));
    }
    if (!buf_) return;
    if (cap_ == Worker::kReadBuffer) worker_.give_buffer(std::move(buf_));
    buf_.reset();
    cap_ = begin_ = end_ = 0;
    transport_->idle();
}

void Connection::await(IoResult::Kind kind, Next next) {
    if (phase_ == Phase::closed) return;
    (kind == IoResult::Kind::wait_read ? readable_ : writable_) = false;
    waiting_for_ = kind;
    next_ = next;
    self_ = shared_from_this();
}

void Connection::on_ready(std::uint32_t events) {
    // An error or hang-up makes both directions "ready": the next call says what happened.
    if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) readable_ = true;
    if (events & (EPOLLOUT | EPOLLHUP | EPOLLERR)) writable_ = true;
    if (waiting_for_ == IoResult::Kind::done) return;
    if (!(waiting_for_ == IoResult::Kind::wait_read ? readable_ : writable_)) return;
    waiting_for_ = IoResult::Kind::done;
    const auto self = std::move(self_);  // keeps this alive through next_
    std::exchange(next_, nullptr)(*this);
}

// A body follows the header. Read only when the handler asks for it, whole
// and bounded, into the connection's own buffer (the header's views stay
// where they are). True: go on and answer now (the body is read, or not
// wanted); false: waiting for the rest of it, or refused with an error.
bool Connection::take_body() {
    const std::size_t limit = worker_.handler().max_body(ex_->parser->request());
    if (limit == 0) return true;
    const auto length = ex_->parser->content_length();
    // RFC 9110 §15.5.12: a body of unknown length (chunked) is refused with 411.
    if (ex_->parser->chunked() || !length) {
        respond_error(411);
        return false;
    }
    // RFC 9110 §15.5.14: 413, and the connection closes (the body is not read).
    if (*length > limit) {
        respond_error(413);
        return false;
    }
    ex_->body.resize(static_cast<std::size_t>(*length));
    ex_->body_read = std::min<std::size_t>(ex_->body.size(), end_ - begin_);
    std::memcpy(ex_->body.data(), buf_.get() + begin_, ex_->body_read);
    begin_ += ex_->body_read;
    ex_->body_taken = true;
    if (ex_->body_read == ex_->body.size()) {
        ex_->parser->request().body = ex_->body;
        return true;
    }
    // The rest of the body within the header timeout, counted again from now.
    deadline_ = worker_.clock().now() + worker_.options().header_timeout;
    read_body();
    return false;
}

void Connection::read_body() {
    while (ex_->body_read < ex_->body.size()) {
        const IoResult r = transport_->read(ex_->body.data() + ex_->body_read, ex_->body.size() - ex_->body_read);
        switch (r.kind) {
            case IoResult::Kind::done:
                ex_->body_read += r.bytes;
                readable_ = !r.drained;
                continue;
            case IoResult::Kind::wait_read:
            case IoResult::Kind::wait_write:
                return await(r.kind, [](Connection& c) { c.read_body(); });
            case IoResult::Kind::eof:
            case IoResult::Kind::failed: return close();
        }
    }
    ex_->parser->request().body = ex_->body;
    if (!handle_request()) return defer();
    if (!send_or_wait()) return;
    finish_response();
    process();
}

bool Connection::handle_request() {
    http::Request& req = ex_->parser->request();
    req.keep_alive = ex_->parser->keep_alive();
    req.secure = transport_->secure();
    req.has_body = !ex_->parser->is_done() && !ex_->body_taken;
    ex_->response.reset();
    try {
        worker_.handler().handle(req, ex_->response);
    } catch (const std::exception& e) {
        // A bug (a header add_header refused) or an exhausted resource in one
        // request must not take the server down, nor put half a response on the wire.
        spdlog::error("request {}: {}", http::escape_header_value(req.target), e.what());
        ex_->response.reset();
        http::error_response(ex_->response, 500, "internal error");
    }
    // Called again, a handler must answer; the first time it may ask to wait.
    if (ex_->response.defer.retry_in.count() > 0 && !req.retried) return false;
    // RFC 9110 §9.3.2: HEAD is GET without the content; the headers still say its length.
    if (req.method == http::Method::head) ex_->response.omit_body = true;
    // A body we did not read would be taken for the next request: close instead.
    if (!req.keep_alive || req.has_body || worker_.stopping()) ex_->response.close = true;
    build_head(&req);
    return true;
}

// The handler answers a little later: on its wake-up or its deadline, on this
// connection's loop. Pipelined requests wait in the buffer meanwhile.
void Connection::defer() {
    http::Deferral deferral = std::move(ex_->response.defer);
    phase_ = Phase::deferred;
    deadline_ = worker_.clock().now() + deferral.retry_in + worker_.options().send_timeout;
    ex_->retry_timer = std::make_unique<asio::steady_timer>(worker_.io(), deferral.retry_in);
    ex_->retry_timer->async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
        if (!ec) self->retry();
    });
    if (deferral.wake_on)
        deferral.wake_on([weak = weak_from_this(), poster = worker_.poster()] {
            poster->post([weak] {
                if (auto self = weak.lock()) self->retry();
            });
        });
}

void Connection::retry() {
    if (phase_ != Phase::deferred) return;  // the other trigger came first, or the connection ended
    ex_->retry_timer.reset();                   // cancels the timer if the wake-up came first
    phase_ = Phase::reading;
    ex_->parser->request().retried = true;
    handle_request();
    if (!send_or_wait()) return;
    finish_response();
    process();
}

void Connection::respond_error(int status) {
    if (!ex_) ex_ = worker_.take_exchange();
    ex_->response.reset();
    http::error_response(ex_->response, status, http::reason_phrase(status));
    ex_->response.close = true;
    build_head(nullptr);
    if (!send_or_wait()) return;
    finish_response();
}

void Connection::build_head(const http::Request* req) {
    ex_->head.clear();
    http::append_status_line(ex_->head, ex_->response.status);
    ex_->head += "Server: ";
    ex_->head += worker_.options().server_name;
    ex_->head += "\r\n";
    ex_->head += worker_.clock().date_header();
    if (has_content_length(ex_->response.status)) {
        ex_->head += "Content-Length: ";
        http::append_decimal(ex_->head, ex_->response.content_length());
        ex_->head += "\r\n";
    } else {
        ex_->response.omit_body = true;
    }
    ex_->head += ex_->response.headers();
    if (ex_->response.close)
        ex_->head += "Connection: close\r\n";
    else if (req && req->version == 10)
        ex_->head += "Connection: keep-alive\r\n";
    ex_->head += "\r\n";
    ex_->head_sent = 0;
    ex_->body_sent = 0;
    ex_->response_pending = true;
    close_after_ = close_after_ || ex_->response.close;
    phase_ = Phase::writing;
}

// Writes as much as the socket takes without blocking, and as much of a
// filling file as is on disk.
Connection::Sent Connection::write_some() {
    const bool send_body = !ex_->response.omit_body;
    const std::uint64_t body_len = send_body ? ex_->response.content_length() : 0;
    const bool file_body = send_body && ex_->response.file;
    while (ex_->head_sent < ex_->head.size() || ex_->body_sent < body_len) {
        IoResult r;
        if (ex_->head_sent < ex_->head.size() || !file_body) {
            iovec iov[2];
            int count = 0;
            if (ex_->head_sent < ex_->head.size()) iov[count++] = {ex_->head.data() + ex_->head_sent, ex_->head.size() - ex_->head_sent};
            if (!file_body && ex_->body_sent < body_len)
                iov[count++] = {ex_->response.body.data() + ex_->body_sent, static_cast<std::size_t>(body_len - ex_->body_sent)};
            r = transport_->write(iov, count, file_body);
            if (r.kind == IoResult::Kind::done) {
                std::size_t head_part = std::min(r.bytes, ex_->head.size() - ex_->head_sent);
                ex_->head_sent += head_part;
                ex_->body_sent += r.bytes - head_part;
            }
        } else {
            const std::uint64_t at = ex_->response.file_offset + ex_->body_sent;
            std::uint64_t ready = body_len - ex_->body_sent;
            if (const auto& growing = ex_->response.file->growing) {
                const std::uint64_t on_disk = growing->available();
                if (on_disk <= at) {
                    if (!growing->failed()) return Sent::waiting_for_data;
                    // The fill failed: end the connection before the promised
                    // Content-Length, so no client takes a short file for the whole.
                    phase_ = Phase::closed;
                    return Sent::all;
                }
                ready = std::min(ready, on_disk - at);
            }
            std::size_t count = static_cast<std::size_t>(std::min<std::uint64_t>(ready, kSendfileChunk));
            r = transport_->send_file(ex_->response.file->fd.get(), at, count);
            if (r.kind == IoResult::Kind::done) ex_->body_sent += r.bytes;
            if (r.kind == IoResult::Kind::eof) {
                // The file shrank under us (truncated by hand): the promised
                // length cannot be kept, so the connection must end.
                close_after_ = true;
                return Sent::all;
            }
        }
        switch (r.kind) {
            case IoResult::Kind::done: continue;
            case IoResult::Kind::wait_read:
            case IoResult::Kind::wait_write: blocked_on_ = r.kind; return Sent::blocked;
            case IoResult::Kind::eof:
            case IoResult::Kind::failed:
                close_after_ = true;  // peer gone
                phase_ = Phase::closed;
                return Sent::all;
        }
    }
    return Sent::all;
}

bool Connection::send_or_wait() {
    switch (write_some()) {
        case Sent::all: return true;
        case Sent::blocked: wait_to_send(); return false;
        case Sent::waiting_for_data: wait_for_data(); return false;
    }
    return true;
}

void Connection::wait_to_send() {
    deadline_ = worker_.clock().now() + worker_.options().send_timeout;
    await(blocked_on_, [](Connection& c) { c.resume_sending(); });
}

// The file is still being filled: its writer wakes this connection, on this
// connection's own loop, once more of it is on disk (never a busy poll).
// Meanwhile the worker holds the connection (park), the writer only a weak
// reference. The send timeout runs meanwhile; the fill's own timeouts end a
// stalled origin, and its end (whole or failed) wakes every waiting connection.
void Connection::wait_for_data() {
    deadline_ = worker_.clock().now() + worker_.options().send_timeout;
    // A header held back to share the file's first record goes now (TLS), so
    // the client sees the answer begin while the file fills.
    transport_->flush();
    worker_.park(shared_from_this());
    const std::uint64_t at = ex_->response.file_offset + ex_->body_sent;
    ex_->response.file->growing->wait_beyond(at, [weak = weak_from_this(), poster = worker_.poster()] {
        poster->post([weak] {
            auto self = weak.lock();
            if (!self) return;
            self->worker_.unpark(self.get());
            if (self->phase_ == Phase::writing) self->resume_sending();
        });
    });
}

void Connection::resume_sending() {
    if (!send_or_wait()) return;
    finish_response();
    process();
}

void Connection::finish_response() {
    record_response();
    if (AccessLog* log = worker_.shared().access_log; log && phase_ != Phase::closed)
        log->write({peer_, worker_.clock().log_time(), ex_->parser ? &ex_->parser->request() : nullptr, ex_->response.status,
                    ex_->body_sent});
    ex_->parser.reset();
    ex_->body = std::string();  // up to max_body bytes: not kept between requests
    ex_->body_taken = false;
    ex_->response.file.reset();  // let the file cache drop the descriptor when it wants
    if (phase_ == Phase::closed) return close();
    phase_ = Phase::reading;
    if (close_after_) linger();
}

// Half-close, then drain what the client still sends for a moment, so that
// the response is not destroyed by a reset (nginx's lingering_close). What
// arrives is thrown away unread, below any TLS layer.
void Connection::linger() {
    if (phase_ == Phase::lingering || phase_ == Phase::closed) return;
    phase_ = Phase::lingering;
    transport_->shutdown_send();
    deadline_ = worker_.clock().now() + kLingerTime;
    if (!buf_) {
        buf_ = worker_.take_buffer();
        cap_ = Worker::kReadBuffer;
    }
    begin_ = end_ = 0;
    drain();
}

void Connection::drain() {
    for (;;) {
        const ssize_t n = ::recv(fd_.get(), buf_.get(), cap_, 0);
        if (n > 0) continue;
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return await(IoResult::Kind::wait_read, [](Connection& c) { c.drain(); });
        return close();  // the client closed too, or reset
    }
}

void Connection::close() {
    phase_ = Phase::closed;
    fd_.reset();  // also leaves the readiness set
    waiting_for_ = IoResult::Kind::done;
    next_ = nullptr;
    // The last reference may be this one: let go of it last.
    if (self_) asio::post(worker_.io(), [held = std::move(self_)] {});
}

}  // namespace cache_tier::server
