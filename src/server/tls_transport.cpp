#include "server/tls_transport.hpp"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "server/spares.hpp"

namespace cache_tier::server {

namespace {

// A header up to this size waits for the file's first bytes, to share their
// record; the record still carries at least this much of the file.
constexpr std::size_t kHoldHeader = TlsTransport::kRecord / 2;

// Record buffers of connections gone idle come back here, a few per thread
// (a transport lives on its worker's thread), so a keep-alive connection that
// sends a file per request does not go to the allocator for each one.
thread_local Spares<char[]> spare_records;

std::unique_ptr<char[]> take_record() {
    return spare_records.take([] { return std::make_unique_for_overwrite<char[]>(TlsTransport::kRecord); });
}

}  // namespace

TlsTransport::TlsTransport(int fd, SSL* ssl) : fd_(fd), ssl_(ssl) {
    SSL_set_fd(ssl_, fd_);  // a socket BIO that does not close the descriptor
    SSL_set_accept_state(ssl_);
}

TlsTransport::~TlsTransport() {
    // A connection that simply ends (the client closed, a keep-alive timeout)
    // after a good handshake: mark it shut down so OpenSSL keeps its session
    // in the cache (it drops sessions of connections it thinks were cut).
    if (!failed_ && SSL_is_init_finished(ssl_)) SSL_set_shutdown(ssl_, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
    SSL_free(ssl_);
}

IoResult TlsTransport::result_of(int rc) {
    switch (SSL_get_error(ssl_, rc)) {
        case SSL_ERROR_WANT_READ: return IoResult::wait(IoResult::Kind::wait_read);
        case SSL_ERROR_WANT_WRITE: return IoResult::wait(IoResult::Kind::wait_write);
        case SSL_ERROR_ZERO_RETURN: return {IoResult::Kind::eof};  // close_notify, or a plain FIN
        default:
            // A bad record, an alert, a reset: nothing more can go over it.
            // Empty this thread's error queue, so the next connection's
            // SSL_get_error does not see this one's failure.
            failed_ = true;
            ERR_clear_error();
            return {IoResult::Kind::failed};
    }
}

IoResult TlsTransport::read(char* buf, std::size_t len) {
    std::size_t n = 0;
    if (SSL_read_ex(ssl_, buf, len, &n) == 1) return IoResult::moved(n);
    return result_of(0);
}

IoResult TlsTransport::write_record(const char* data, std::size_t len) {
    std::size_t n = 0;
    if (SSL_write_ex(ssl_, data, len, &n) == 1) return IoResult::moved(n);
    IoResult r = result_of(0);
    if (r.kind == IoResult::Kind::eof) r.kind = IoResult::Kind::failed;  // the peer closed: nothing more is read
    return r;
}

bool TlsTransport::kernel_sends() {
    if (ktls_send_ < 0 && SSL_is_init_finished(ssl_)) ktls_send_ = BIO_get_ktls_send(SSL_get_wbio(ssl_)) ? 1 : 0;
    return ktls_send_ == 1;
}

IoResult TlsTransport::flush_held() {
    while (sent_ < filled_) {
        IoResult r = write_record(buf_.get() + sent_, filled_ - sent_);
        if (r.kind != IoResult::Kind::done) return r;
        sent_ += r.bytes;
    }
    sent_ = filled_ = held_ = 0;
    return IoResult::moved(0);
}

IoResult TlsTransport::write(const iovec* iov, int count, bool more) {
    if (held_ > 0) {
        // Only a file's first record takes a held header; anything else sends it first.
        if (filled_ > held_) return {IoResult::Kind::failed};
        if (IoResult r = flush_held(); r.kind != IoResult::Kind::done) return r;
    }
    std::size_t total = 0;
    for (int i = 0; i < count; ++i) total += iov[i].iov_len;
    if (total == 0) return IoResult::moved(0);
    if (more && total <= kHoldHeader && !kernel_sends()) {
        // The file's first record carries it (as MSG_MORE does for plain TCP).
        if (!buf_) buf_ = take_record();
        std::size_t at = 0;
        for (int i = 0; i < count; ++i) {
            std::memcpy(buf_.get() + at, iov[i].iov_base, iov[i].iov_len);
            at += iov[i].iov_len;
        }
        held_ = filled_ = total;
        sent_ = 0;
        return IoResult::moved(total);
    }
    if (count == 1 || iov[0].iov_len >= kRecord)
        return write_record(static_cast<const char*>(iov[0].iov_base), iov[0].iov_len);
    // Several small pieces (a header and a small body): one record, not one
    // each. A retry gathers the same bytes again, as OpenSSL requires.
    char record[kRecord];
    std::size_t len = 0;
    for (int i = 0; i < count && len < kRecord; ++i) {
        const std::size_t part = std::min(iov[i].iov_len, kRecord - len);
        std::memcpy(record + len, iov[i].iov_base, part);
        len += part;
    }
    return write_record(record, len);
}

IoResult TlsTransport::send_file(int file_fd, std::uint64_t offset, std::size_t count) {
    if (count == 0) return IoResult::moved(0);
    if (kernel_sends()) return send_file_ktls(file_fd, offset, count);
    if (!buf_) buf_ = take_record();
    const std::size_t file_at = std::max(sent_, held_);  // where the file's unsent bytes begin
    if (filled_ == file_at) {
        // Nothing of the file waits in the buffer: read its next record.
        const std::size_t want = std::min(count, kRecord - filled_);
        ssize_t n;
        do n = ::pread(file_fd, buf_.get() + filled_, want, static_cast<off_t>(offset));
        while (n < 0 && errno == EINTR);
        if (n < 0) return {IoResult::Kind::failed};
        if (n == 0) return {IoResult::Kind::eof};
        filled_ += static_cast<std::size_t>(n);
        file_fd_ = file_fd;
        file_offset_ = offset;
    } else if (file_fd != file_fd_ || offset != file_offset_) {
        return {IoResult::Kind::failed};  // a retry must ask for the bytes already read
    }
    for (;;) {
        // The same bytes as the attempt that could not finish, from wherever they now are.
        IoResult r = write_record(buf_.get() + sent_, filled_ - sent_);
        if (r.kind != IoResult::Kind::done) return r;
        const std::size_t file_from = std::max(sent_, held_);
        sent_ += r.bytes;
        const std::size_t moved = sent_ > file_from ? sent_ - file_from : 0;
        file_offset_ += moved;
        if (sent_ == filled_) sent_ = filled_ = held_ = 0;
        if (moved > 0) return IoResult::moved(moved);
    }
}

// Kernel TLS: the kernel encrypts and the file's pages go out without a copy.
IoResult TlsTransport::send_file_ktls(int file_fd, std::uint64_t offset, std::size_t count) {
    if (held_ > 0)
        if (IoResult r = flush_held(); r.kind != IoResult::Kind::done) return r;
    const ossl_ssize_t n = SSL_sendfile(ssl_, file_fd, static_cast<off_t>(offset), count, 0);
    if (n > 0) return IoResult::moved(static_cast<std::size_t>(n));
    if (n == 0) return {IoResult::Kind::eof};
    IoResult r = result_of(static_cast<int>(n));
    if (r.kind == IoResult::Kind::eof) r.kind = IoResult::Kind::failed;
    return r;
}

// Decrypted bytes a read returns without the socket. Not SSL_has_pending:
// after a read that wanted more, read-ahead may hold part of a record, which
// only the socket can complete.
bool TlsTransport::has_buffered_input() const { return SSL_pending(ssl_) > 0; }

void TlsTransport::shutdown_send() {
    flush();
    // close_notify (RFC 8446 §6.1), best effort: the socket may be full.
    if (!failed_ && SSL_is_init_finished(ssl_) && SSL_shutdown(ssl_) < 0) ERR_clear_error();
    ::shutdown(fd_, SHUT_WR);
}

void TlsTransport::flush() {
    // What the socket does not take now goes out with the next call.
    if (held_ > 0 && filled_ == held_) (void)flush_held();
}

void TlsTransport::idle() {
    if (sent_ == filled_ && buf_) {
        spare_records.give(std::move(buf_));
        sent_ = filled_ = held_ = 0;
    }
}

std::string TlsTransport::protocol() const { return SSL_get_version(ssl_); }

}  // namespace cache_tier::server
