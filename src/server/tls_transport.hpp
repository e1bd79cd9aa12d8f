#pragma once
// A connection's bytes through TLS (OpenSSL) on its non-blocking socket. The
// handshake happens inside the first read. Files go out with SSL_sendfile
// where kernel TLS is on for this connection, else a record at a time: pread
// into a 16 KiB buffer that exists only while a file body is being sent, then
// SSL_write. A small header followed by a file body travels in the file's
// first record; a header and a small in-memory body in one record.
#include <memory>

#include "server/transport.hpp"

typedef struct ssl_st SSL;

namespace cache_tier::server {

class TlsTransport final : public Transport {
public:
    // Takes `ssl` (TlsContext::new_ssl) and binds it to `fd` as a server.
    TlsTransport(int fd, SSL* ssl);
    ~TlsTransport() override;
    TlsTransport(const TlsTransport&) = delete;
    TlsTransport& operator=(const TlsTransport&) = delete;

    IoResult read(char* buf, std::size_t len) override;
    IoResult write(const iovec* iov, int count, bool more) override;
    IoResult send_file(int file_fd, std::uint64_t offset, std::size_t count) override;
    bool has_buffered_input() const override;
    void shutdown_send() override;
    void idle() override;
    void flush() override;
    bool secure() const override { return true; }
    std::string protocol() const override;

    // The largest TLS record's payload (RFC 8446 §5.1): the unit files go out in.
    static constexpr std::size_t kRecord = 16384;

private:
    IoResult result_of(int rc);        // SSL_get_error mapped; rc <= 0
    IoResult write_record(const char* data, std::size_t len);
    IoResult flush_held();             // a header held back for the next file record
    IoResult send_file_ktls(int file_fd, std::uint64_t offset, std::size_t count);
    bool kernel_sends();               // kernel TLS carries this connection's records

    int fd_;
    SSL* ssl_;
    // The file buffer: [0, held_) a header already reported as sent that
    // goes out with the file's first bytes; [held_, filled_) the file's bytes
    // from file_offset_ of file_fd_, kept until SSL_write takes them (a retry
    // must offer the same bytes); from sent_ on, not yet taken.
    std::unique_ptr<char[]> buf_;
    std::size_t held_ = 0, filled_ = 0, sent_ = 0;
    int file_fd_ = -1;
    std::uint64_t file_offset_ = 0;
    int ktls_send_ = -1;  // unknown until the handshake is done
    bool failed_ = false;  // a fatal error: no close_notify, no session kept
};

}  // namespace cache_tier::server
