#include "server/transport.hpp"

#include <sys/sendfile.h>
#include <sys/socket.h>

#include <cerrno>

namespace cache_tier::server {

namespace {

// What a failed non-blocking call means for the connection.
IoResult from_errno(IoResult::Kind would_block) {
    if (errno == EAGAIN || errno == EWOULDBLOCK) return IoResult::wait(would_block);
    return IoResult::wait(IoResult::Kind::failed);
}

}  // namespace

IoResult PlainTransport::read(char* buf, std::size_t len) {
    for (;;) {
        ssize_t n = ::recv(fd_, buf, len, 0);
        // A stream socket returns less than asked only when its queue ran dry,
        // so the next read can wait for the next readiness without a try.
        if (n > 0) return IoResult::moved(static_cast<std::size_t>(n), static_cast<std::size_t>(n) < len);
        if (n == 0) return IoResult::wait(IoResult::Kind::eof);
        if (errno != EINTR) return from_errno(IoResult::Kind::wait_read);
    }
}

IoResult PlainTransport::write(const iovec* iov, int count, bool more) {
    msghdr msg{};
    msg.msg_iov = const_cast<iovec*>(iov);
    msg.msg_iovlen = static_cast<std::size_t>(count);
    for (;;) {
        // With a file body to follow, MSG_MORE lets the kernel put the header
        // into the same segment as the first bytes of the file.
        ssize_t n = ::sendmsg(fd_, &msg, MSG_NOSIGNAL | (more ? MSG_MORE : 0));
        if (n > 0) return IoResult::moved(static_cast<std::size_t>(n));
        if (n < 0 && errno == EINTR) continue;
        if (n == 0) return IoResult::wait(IoResult::Kind::wait_write);
        return from_errno(IoResult::Kind::wait_write);
    }
}

IoResult PlainTransport::send_file(int file_fd, std::uint64_t offset, std::size_t count) {
    for (;;) {
        off_t at = static_cast<off_t>(offset);
        ssize_t n = ::sendfile(fd_, file_fd, &at, count);
        if (n > 0) return IoResult::moved(static_cast<std::size_t>(n));
        if (n == 0) return IoResult::wait(IoResult::Kind::eof);  // the file is shorter than promised
        if (errno != EINTR) return from_errno(IoResult::Kind::wait_write);
    }
}

void PlainTransport::shutdown_send() { ::shutdown(fd_, SHUT_WR); }

}  // namespace cache_tier::server
