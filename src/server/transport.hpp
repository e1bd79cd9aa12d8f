#pragma once
// How a connection's bytes cross its socket: plain system calls
// (PlainTransport), or TLS. Every call is non-blocking: it does what it can
// now and, when it cannot go on, says which readiness of the socket it waits
// for (TLS may need to write to read, or read to write). The connection owns
// the waiting; a transport never touches the event loop.
#include <sys/types.h>
#include <sys/uio.h>

#include <cstddef>
#include <cstdint>
#include <string>

namespace cache_tier::server {

struct IoResult {
    enum class Kind {
        done,        // `bytes` (> 0) moved
        wait_read,   // nothing moved: call again once the socket is readable
        wait_write,  // nothing moved: call again once the socket is writable
        eof,         // read: the peer closed (cleanly); send_file: the file ended early
        failed,      // the connection is unusable (reset, TLS alert, bad record)
    };
    Kind kind = Kind::failed;
    std::size_t bytes = 0;
    // read(), with kind done: the socket had nothing more at the time, so the
    // next read may wait for readability without trying first. False when
    // unknown (a full buffer, or input a TLS layer may still hold).
    bool drained = false;

    static IoResult moved(std::size_t n, bool drained = false) { return {Kind::done, n, drained}; }
    static IoResult wait(Kind k) { return {k, 0, false}; }
};

class Transport {
public:
    virtual ~Transport() = default;
    virtual IoResult read(char* buf, std::size_t len) = 0;
    // `more`: further bytes follow at once (a file body after its header).
    virtual IoResult write(const iovec* iov, int count, bool more) = 0;
    // Up to `count` bytes of `file_fd` from `offset`.
    virtual IoResult send_file(int file_fd, std::uint64_t offset, std::size_t count) = 0;
    // Input already taken off the socket and held here (decrypted TLS
    // records): the connection reads before it waits for the socket.
    virtual bool has_buffered_input() const { return false; }
    // Lingering close: nothing more will be sent (TLS: close_notify), then FIN.
    virtual void shutdown_send() = 0;
    // Between requests: let go of what an idle connection does not need.
    virtual void idle() {}
    // Send now, as far as the socket takes it, what write() held back to go
    // with the file's first bytes (`more`): the file has none ready yet.
    virtual void flush() {}
    // TLS: requests came over HTTPS, and the connection begins with a handshake.
    virtual bool secure() const { return false; }
    // For the access log and metrics: "" for plain, else e.g. "TLSv1.3".
    virtual std::string protocol() const { return {}; }
};

// Plain TCP: recv, sendmsg and sendfile on the socket.
class PlainTransport final : public Transport {
public:
    explicit PlainTransport(int fd) : fd_(fd) {}
    IoResult read(char* buf, std::size_t len) override;
    IoResult write(const iovec* iov, int count, bool more) override;
    IoResult send_file(int file_fd, std::uint64_t offset, std::size_t count) override;
    void shutdown_send() override;

private:
    int fd_;  // owned by the connection's socket
};

}  // namespace cache_tier::server
