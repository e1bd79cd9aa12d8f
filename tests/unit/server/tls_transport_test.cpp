// TlsContext and TlsTransport in-process: a TlsTransport serves one end of a
// socketpair, an OpenSSL client the other, both non-blocking and driven in
// turn on this thread. No network, no process, no sleep.
#include "server/tls_transport.hpp"

#include <fcntl.h>
#include <openssl/ssl.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <fstream>

#include "server/tls_context.hpp"
#include "tls_test_support.hpp"

namespace cache_tier::server {
namespace {

using tls_test::Client;
using tls_test::TempDir;
using tls_test::drive;
using tls_test::SocketPair;

class TlsTest : public ::testing::Test {
protected:
    void SetUp() override {
        tls_test::write_self_signed(dir_ / "cert.pem", dir_ / "key.pem", "first.test");
        auto loaded = TlsContext::load({(dir_ / "cert.pem").string(), (dir_ / "key.pem").string()});
        ASSERT_TRUE(loaded) << loaded.error().message;
        context_ = std::move(*loaded);
    }

    // Handshake until the client is done (the server's side happens inside read()).
    static bool handshake(TlsTransport& server, Client& client) {
        char byte;
        int state = 0;
        drive([&] {
            state = client.handshake();
            IoResult r = server.read(&byte, 1);
            if (r.kind == IoResult::Kind::failed || r.kind == IoResult::Kind::eof) state = -1;
            return state != 0;
        });
        return state == 1;
    }

    // The request the client sent, read by the server.
    static std::string server_reads(TlsTransport& server, Client& client, std::size_t want) {
        std::string got;
        char buf[4096];
        drive([&] {
            client.read_available();  // lets the client take tickets, if any
            IoResult r = server.read(buf, sizeof buf);
            if (r.kind == IoResult::Kind::done) got.append(buf, r.bytes);
            return got.size() >= want || r.kind == IoResult::Kind::failed || r.kind == IoResult::Kind::eof;
        });
        return got;
    }

    TempDir dir_;
    std::unique_ptr<TlsContext> context_;
};

std::string error_of(const std::string& cert, const std::string& key) {
    auto loaded = TlsContext::load({cert, key});
    return loaded ? std::string() : loaded.error().message;
}

TEST_F(TlsTest, LoadErrorsNameTheFileAndTheReason) {
    const std::string cert = (dir_ / "cert.pem").string(), key = (dir_ / "key.pem").string();
    EXPECT_EQ(error_of((dir_ / "missing.pem").string(), key),
              "tls_certificate " + (dir_ / "missing.pem").string() + ": No such file or directory");
    EXPECT_EQ(error_of(cert, ""), "tls_certificate_key is not set");
    std::ofstream(dir_ / "junk.pem") << "not a certificate\n";
    EXPECT_NE(error_of((dir_ / "junk.pem").string(), key).find("junk.pem: not a PEM certificate"), std::string::npos);
    EXPECT_NE(error_of(cert, (dir_ / "junk.pem").string()).find("junk.pem: not a PEM private key"),
              std::string::npos);
    tls_test::write_self_signed(dir_ / "other.pem", dir_ / "other.key", "other.test");
    EXPECT_NE(error_of(cert, (dir_ / "other.key").string()).find("does not match tls_certificate"),
              std::string::npos);
}

TEST_F(TlsTest, Tls13HandshakeSelectsHttp11AndCarriesARequest) {
    SocketPair pair;
    TlsTransport server(pair.server.get(), context_->new_ssl());
    Client client(pair.client.get());
    ASSERT_TRUE(handshake(server, client));
    EXPECT_EQ(std::string(SSL_get_version(client.ssl())), "TLSv1.3");
    const unsigned char* alpn = nullptr;
    unsigned alpn_len = 0;
    SSL_get0_alpn_selected(client.ssl(), &alpn, &alpn_len);
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(alpn), alpn_len), "http/1.1");
    ASSERT_TRUE(client.write("GET / HTTP/1.1\r\n\r\n"));
    EXPECT_EQ(server_reads(server, client, 18), "GET / HTTP/1.1\r\n\r\n");
    EXPECT_EQ(server.protocol(), "TLSv1.3");
}

TEST_F(TlsTest, Tls12IsAcceptedAndTls11Refused) {
    {
        SocketPair pair;
        TlsTransport server(pair.server.get(), context_->new_ssl());
        Client client(pair.client.get(), TLS1_2_VERSION);
        ASSERT_TRUE(handshake(server, client));
        EXPECT_EQ(std::string(SSL_get_version(client.ssl())), "TLSv1.2");
    }
    SocketPair pair;
    TlsTransport server(pair.server.get(), context_->new_ssl());
    Client client(pair.client.get(), TLS1_1_VERSION);
    SSL_set_security_level(client.ssl(), 0);
    EXPECT_FALSE(handshake(server, client));
}

TEST_F(TlsTest, AnOfferWithoutHttp11IsRefusedAsNginxDoes) {
    SocketPair pair;
    TlsTransport server(pair.server.get(), context_->new_ssl());
    Client client(pair.client.get(), 0, "\x02h2");
    EXPECT_FALSE(handshake(server, client));
}

TEST_F(TlsTest, HeaderAndSmallBodyGoInOneRecord) {
    SocketPair pair;
    TlsTransport server(pair.server.get(), context_->new_ssl());
    Client client(pair.client.get());
    ASSERT_TRUE(handshake(server, client));
    ASSERT_TRUE(client.write("x"));
    server_reads(server, client, 1);  // the client has taken its tickets by now
    client.read_available();
    const int before = client.application_records;
    std::string head = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", body = "hello";
    iovec iov[2] = {{head.data(), head.size()}, {body.data(), body.size()}};
    IoResult r = server.write(iov, 2, false);
    ASSERT_EQ(r.kind, IoResult::Kind::done);
    EXPECT_EQ(r.bytes, head.size() + body.size());
    client.read_available();
    EXPECT_EQ(client.received, head + body);
    EXPECT_EQ(client.application_records - before, 1);
}

// A header, then a file body through a socket that takes little at a time:
// every WANT_WRITE is retried with the same bytes, the header shares the
// file's first record, and the client gets exactly header + file.
TEST_F(TlsTest, FileBodyThroughAFullSocketArrivesWhole) {
    SocketPair pair;
    int small = 4096;
    ::setsockopt(pair.server.get(), SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
    TlsTransport server(pair.server.get(), context_->new_ssl());
    Client client(pair.client.get());
    ASSERT_TRUE(handshake(server, client));
    ASSERT_TRUE(client.write("x"));
    server_reads(server, client, 1);
    client.read_available();
    const int records_before = client.application_records;
    client.received.clear();

    std::string content;
    for (int i = 0; content.size() < 200000; ++i) content += "line " + std::to_string(i) + "\n";
    std::ofstream(dir_ / "file") << content;
    UniqueFd file(::open((dir_ / "file").c_str(), O_RDONLY | O_CLOEXEC));
    std::string head = "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(content.size()) + "\r\n\r\n";
    iovec iov{head.data(), head.size()};
    ASSERT_EQ(server.write(&iov, 1, true).kind, IoResult::Kind::done);  // held for the first record

    std::uint64_t sent = 0;
    int waits = 0;
    ASSERT_TRUE(drive([&] {
        IoResult r = server.send_file(file.get(), sent, content.size() - sent);
        if (r.kind == IoResult::Kind::done) sent += r.bytes;
        else if (r.kind == IoResult::Kind::wait_write) ++waits;
        else ADD_FAILURE() << "send_file ended with kind " << static_cast<int>(r.kind);
        client.read_available();
        return sent == content.size() || (r.kind != IoResult::Kind::done && r.kind != IoResult::Kind::wait_write);
    }));
    client.read_available();
    EXPECT_GT(waits, 0);  // the small socket buffer did make it wait
    EXPECT_EQ(client.received.size(), head.size() + content.size());
    EXPECT_TRUE(client.received == head + content);
    // Whole records: the header rode in the first, and no record was cut short but the last.
    const std::size_t total = head.size() + content.size();
    EXPECT_EQ(client.application_records - records_before,
              static_cast<int>((total + TlsTransport::kRecord - 1) / TlsTransport::kRecord));
    server.idle();
}

TEST_F(TlsTest, SendFileReportsAFileThatEndedEarly) {
    SocketPair pair;
    TlsTransport server(pair.server.get(), context_->new_ssl());
    Client client(pair.client.get());
    ASSERT_TRUE(handshake(server, client));
    std::ofstream(dir_ / "short") << "abc";
    UniqueFd file(::open((dir_ / "short").c_str(), O_RDONLY | O_CLOEXEC));
    EXPECT_EQ(server.send_file(file.get(), 3, 10).kind, IoResult::Kind::eof);
}

// Part of a record read ahead is not input the connection can read: it must
// wait for the socket (else it would spin on a read that wants more).
TEST_F(TlsTest, APartialRecordIsNotBufferedInput) {
    SocketPair pair;
    TlsTransport server(pair.server.get(), context_->new_ssl());
    Client client(pair.client.get());
    ASSERT_TRUE(handshake(server, client));
    char buf[64];
    const std::string partial("\x17\x03\x03\x00\x40\x01\x02", 7);  // a record header and 2 of its 64 bytes
    ASSERT_EQ(::write(pair.client.get(), partial.data(), partial.size()), 7);
    IoResult r;
    drive([&] {
        r = server.read(buf, sizeof buf);
        return r.kind == IoResult::Kind::wait_read;
    });
    EXPECT_EQ(r.kind, IoResult::Kind::wait_read);
    EXPECT_FALSE(server.has_buffered_input());
}

TEST_F(TlsTest, PeerCloseIsEofAndGarbageFails) {
    {
        SocketPair pair;
        TlsTransport server(pair.server.get(), context_->new_ssl());
        Client client(pair.client.get());
        ASSERT_TRUE(handshake(server, client));
        SSL_shutdown(client.ssl());
        char buf[64];
        IoResult r;
        drive([&] {
            r = server.read(buf, sizeof buf);
            return r.kind != IoResult::Kind::wait_read;
        });
        EXPECT_EQ(r.kind, IoResult::Kind::eof);
    }
    SocketPair pair;
    TlsTransport server(pair.server.get(), context_->new_ssl());
    const std::string plain = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    ASSERT_EQ(::write(pair.client.get(), plain.data(), plain.size()), static_cast<ssize_t>(plain.size()));
    char buf[64];
    EXPECT_EQ(server.read(buf, sizeof buf).kind, IoResult::Kind::failed);
}

// One connection that offers `session` (may be null) and exchanges a byte;
// whether it resumed, and the session it leaves (ticket included).
std::pair<bool, SSL_SESSION*> connect_once(TlsContext& context, int version, SSL_SESSION* session) {
    SocketPair pair;
    TlsTransport server(pair.server.get(), context.new_ssl());
    Client client(pair.client.get(), version);
    if (session) SSL_set_session(client.ssl(), session);
    char byte;
    int state = 0;
    drive([&] {
        state = client.handshake();
        (void)server.read(&byte, 1);
        return state != 0;
    });
    EXPECT_EQ(state, 1);
    EXPECT_TRUE(client.write("x"));
    drive([&] { return server.read(&byte, 1).kind == IoResult::Kind::done; });
    drive([&] {
        client.read_available();  // TLS 1.3: the tickets come after the handshake
        return SSL_SESSION_has_ticket(SSL_get0_session(client.ssl())) == 1;
    });
    return {SSL_session_reused(client.ssl()) == 1, SSL_get1_session(client.ssl())};
}

// Resumption with a ticket, for TLS 1.2 and 1.3; a ticket sealed with the
// previous key still opens, one sealed two rotations ago does not (a full
// handshake instead).
TEST_F(TlsTest, SessionsResumeWithTicketsUntilTheirKeyIsRotatedOut) {
    for (int version : {TLS1_2_VERSION, TLS1_3_VERSION}) {
        SCOPED_TRACE(version);
        auto [first_reused, first] = connect_once(*context_, version, nullptr);
        EXPECT_FALSE(first_reused);
        auto [reused, second] = connect_once(*context_, version, first);
        EXPECT_TRUE(reused);
        context_->rotate_ticket_keys();
        auto [after_one, third] = connect_once(*context_, version, first);
        EXPECT_TRUE(after_one);
        context_->rotate_ticket_keys();
        auto [after_two, fourth] = connect_once(*context_, version, first);
        EXPECT_FALSE(after_two);
        for (SSL_SESSION* s : {first, second, third, fourth}) SSL_SESSION_free(s);
    }
}

TEST_F(TlsTest, ReloadServesTheNewPairToNewConnectionsOnly) {
    SocketPair old_pair;
    TlsTransport old_server(old_pair.server.get(), context_->new_ssl());
    Client old_client(old_pair.client.get());
    ASSERT_TRUE(handshake(old_server, old_client));

    tls_test::write_self_signed(dir_ / "cert.pem", dir_ / "key.pem", "second.test");
    ASSERT_TRUE(context_->reload());
    EXPECT_NE(context_->subject().find("second.test"), std::string::npos);
    SocketPair pair;
    TlsTransport server(pair.server.get(), context_->new_ssl());
    Client client(pair.client.get());
    ASSERT_TRUE(handshake(server, client));
    X509* peer = SSL_get0_peer_certificate(client.ssl());
    char subject[256];
    X509_NAME_oneline(X509_get_subject_name(peer), subject, sizeof subject);
    EXPECT_NE(std::string(subject).find("second.test"), std::string::npos);

    // The connection made before the reload goes on with its own context.
    ASSERT_TRUE(old_client.write("still here"));
    EXPECT_EQ(server_reads(old_server, old_client, 10), "still here");

    // A bad new pair: the reload fails, says why, and the current pair stays.
    std::ofstream(dir_ / "key.pem") << "garbage\n";
    Status bad = context_->reload();
    ASSERT_FALSE(bad);
    EXPECT_NE(bad.error().message.find("not a PEM private key"), std::string::npos);
    EXPECT_NE(context_->subject().find("second.test"), std::string::npos);
}

TEST(TlsKernel, ProbeAnswersWithoutFailing) {
    // Either answer is right for some kernel; the probe must not throw or leak.
    (void)kernel_tls_available();
}

}  // namespace
}  // namespace cache_tier::server
