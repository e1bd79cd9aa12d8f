// The server core's connection logic, in-process: a Worker without a listening
// socket serves one end of a socketpair, the test holds the other end and runs
// the worker's event loop on its own thread until what it waits for has come.
// No network, no process, no sleep.
#include "server/connection.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <deque>
#include <functional>
#include <optional>
#include <ostream>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/unique_fd.hpp"
#include "metrics/catalog.hpp"
#include "server/access_log.hpp"
#include "server/worker.hpp"
#include "support/process.hpp"

namespace cache_tier::server {
namespace {

using namespace std::chrono_literals;

// How long the loop may have nothing to do before a test gives up: a bound on
// a failing test, never waited for by a passing one.
constexpr auto kStalled = 5s;

ServerOptions small_limits() {
    ServerOptions options;
    options.max_request_line = 64;
    options.max_header_bytes = 256;
    return options;
}

// What the test handler answers; it also records the targets it was given, in order.
struct Script {
    std::function<void(const http::Request&, http::Response&)> answer = [](const http::Request& req,
                                                                           http::Response& out) {
        out.add_header("Content-Type", "text/plain");
        out.body.append("target ").append(req.target);
    };
    std::vector<std::string> targets;
    std::size_t max_body = 0;  // what max_body() says to every request
};

class ScriptedHandler final : public http::Handler {
public:
    explicit ScriptedHandler(Script& script) : script_(script) {}
    void handle(const http::Request& req, http::Response& out) override {
        script_.targets.emplace_back(req.target);
        script_.answer(req, out);
    }
    std::size_t max_body(const http::Request&) override { return script_.max_body; }

private:
    Script& script_;
};

// One response as it came off the wire.
struct Reply {
    int status = 0;
    std::string head;  // status line and header lines, each with its CRLF
    std::string body;
    // The value of header `name` (as the server spells it), nullopt if absent.
    std::optional<std::string> header(const std::string& name) const {
        const std::string prefix = "\r\n" + name + ": ";
        const auto at = head.find(prefix);
        if (at == std::string::npos) return std::nullopt;
        const auto start = at + prefix.size();
        return head.substr(start, head.find("\r\n", start) - start);
    }
};

// Remove the first whole response from `bytes`; nullopt while it is incomplete.
// `head_request`: the request was HEAD, so no body follows whatever the length says.
std::optional<Reply> take_reply(std::string& bytes, bool head_request) {
    const auto head_end = bytes.find("\r\n\r\n");
    if (head_end == std::string::npos) return std::nullopt;
    Reply reply;
    reply.head = bytes.substr(0, head_end + 2);
    reply.status = std::stoi(reply.head.substr(9, 3));
    const std::size_t length = head_request ? 0 : std::stoul(reply.header("Content-Length").value_or("0"));
    const std::size_t body_start = head_end + 4;
    if (bytes.size() < body_start + length) return std::nullopt;
    reply.body = bytes.substr(body_start, length);
    bytes.erase(0, body_start + length);
    return reply;
}

std::string get(const std::string& target, const std::string& extra = "") {
    return "GET " + target + " HTTP/1.1\r\nHost: test\r\n" + extra + "\r\n";
}

class ConnectionTest : public ::testing::Test {
protected:
    // The client's end of one connection.
    struct Client {
        UniqueFd fd;
        std::string received;  // what came and was not taken as a reply yet
        bool closed = false;   // the server closed (or shut down) its side
    };

    void TearDown() override {
        // Closing the client ends each connection (the worker's loop itself
        // never runs out of work: it always watches its connections).
        for (Client& c : clients_) c.fd.reset();
        run_until_all_closed();
        EXPECT_EQ(shared_.connections.load(), 0u) << "a connection outlived its client";
    }

    Client& connect() {
        int fds[2];
        EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
        Client& client = clients_.emplace_back();
        client.fd.reset(fds[0]);
        ::fcntl(fds[0], F_SETFL, O_NONBLOCK);
        boost::asio::ip::tcp::socket server_end(worker_.io());
        server_end.assign(boost::asio::ip::tcp::v4(), fds[1]);
        worker_.serve(std::move(server_end));
        return client;
    }

    static void send(Client& c, std::string_view bytes) {
        ASSERT_EQ(::send(c.fd.get(), bytes.data(), bytes.size(), MSG_NOSIGNAL), static_cast<ssize_t>(bytes.size()));
    }

    static void read_available(Client& c) {
        char buf[65536];
        for (;;) {
            const ssize_t n = ::recv(c.fd.get(), buf, sizeof buf, MSG_DONTWAIT);
            if (n > 0) {
                c.received.append(buf, static_cast<std::size_t>(n));
                continue;
            }
            if (n == 0) c.closed = true;
            return;
        }
    }

    // Run the worker's loop until no connection is left, or for kStalled.
    void run_until_all_closed() {
        const auto give_up = std::chrono::steady_clock::now() + kStalled;
        while (shared_.connections.load() > 0 && std::chrono::steady_clock::now() < give_up) {
            worker_.io().restart();
            worker_.io().run_one_for(kStalled);
        }
    }

    // Run what the worker has ready now, without waiting.
    void poll() {
        worker_.io().restart();
        worker_.io().poll();
    }

    // Run the worker's loop until `done` holds; false if the loop stalls first.
    bool run_until(Client& c, const std::function<bool()>& done) {
        for (;;) {
            read_available(c);
            if (done()) return true;
            worker_.io().restart();
            if (worker_.io().run_one_for(kStalled) == 0) {
                read_available(c);
                return done();
            }
        }
    }

    std::optional<Reply> reply(Client& c, bool head_request = false) {
        std::optional<Reply> r;
        run_until(c, [&] { return (r = take_reply(c.received, head_request)) || c.closed; });
        return r;
    }

    bool closed_by_server(Client& c) {
        return run_until(c, [&] { return c.closed; });
    }

    ServerOptions options_ = small_limits();
    ct_test::TempDir dir_;
    AccessLog log_{(dir_ / "access.log").string()};
    SharedState shared_{options_, &log_};
    Script script_;
    http::HandlerFactory handlers_ = [this] { return std::make_unique<ScriptedHandler>(script_); };
    Worker worker_{shared_, handlers_};
    std::deque<Client> clients_;  // a deque: references to its clients stay valid
};

TEST_F(ConnectionTest, AnswersWithStatusLineDateServerAndLength) {
    Client& c = connect();
    send(c, get("/a"));
    auto r = reply(c);
    ASSERT_TRUE(r);
    EXPECT_TRUE(r->head.starts_with("HTTP/1.1 200 OK\r\n")) << r->head;
    EXPECT_EQ(r->header("Server"), "cache-tier");
    EXPECT_TRUE(r->header("Date")) << r->head;
    EXPECT_EQ(r->header("Content-Length"), "9");
    EXPECT_EQ(r->header("Content-Type"), "text/plain");
    EXPECT_FALSE(r->header("Connection")) << "HTTP/1.1 keeps the connection without saying so";
    EXPECT_EQ(r->body, "target /a");
}

TEST_F(ConnectionTest, RequestsArrivingAByteAtATimeAreAnsweredAsWhole) {
    Client& c = connect();
    const std::string requests = get("/first", "Range: bytes=0-1\r\n") + get("/second");
    for (char byte : requests) {
        send(c, std::string_view(&byte, 1));
        poll();  // the server reads this byte on its own
    }
    auto first = reply(c);
    auto second = reply(c);
    ASSERT_TRUE(first && second);
    EXPECT_EQ(first->body, "target /first");
    EXPECT_EQ(second->body, "target /second");
    EXPECT_EQ(script_.targets, (std::vector<std::string>{"/first", "/second"}));
}

TEST_F(ConnectionTest, ARequestSplitInTwoAtEveryByteIsAnsweredTheSame) {
    const std::string request = get("/split", "User-Agent: test\r\n");
    for (std::size_t at = 1; at < request.size(); ++at) {
        Client& c = connect();
        send(c, std::string_view(request).substr(0, at));
        poll();
        send(c, std::string_view(request).substr(at));
        auto r = reply(c);
        ASSERT_TRUE(r) << "split at " << at;
        EXPECT_EQ(r->status, 200) << "split at " << at;
        EXPECT_EQ(r->body, "target /split") << "split at " << at;
    }
}

TEST_F(ConnectionTest, PipelinedRequestsAreAnsweredInOrder) {
    Client& c = connect();
    send(c, get("/1") + get("/2") + get("/3"));
    for (std::string expected : {"/1", "/2", "/3"}) {
        auto r = reply(c);
        ASSERT_TRUE(r) << expected;
        EXPECT_EQ(r->body, "target " + expected);
    }
    EXPECT_EQ(script_.targets, (std::vector<std::string>{"/1", "/2", "/3"}));
}

TEST_F(ConnectionTest, KeepAliveServesRequestAfterRequest) {
    Client& c = connect();
    for (std::string target : {"/a", "/b", "/c"}) {
        send(c, get(target));
        auto r = reply(c);
        ASSERT_TRUE(r) << target;
        EXPECT_EQ(r->body, "target " + target);
        EXPECT_FALSE(c.closed);
    }
}

TEST_F(ConnectionTest, ConnectionCloseIsAnsweredThenClosed) {
    Client& c = connect();
    send(c, get("/last", "Connection: close\r\n") + get("/never"));
    auto r = reply(c);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->header("Connection"), "close");
    EXPECT_TRUE(closed_by_server(c));
    EXPECT_EQ(c.received, "") << "nothing after the last response";
    EXPECT_EQ(script_.targets, (std::vector<std::string>{"/last"}));
}

TEST_F(ConnectionTest, Http10ClosesUnlessAskedToKeepAlive) {
    Client& plain = connect();
    send(plain, "GET /old HTTP/1.0\r\n\r\n");
    auto r = reply(plain);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->header("Connection"), "close");
    EXPECT_TRUE(closed_by_server(plain));

    Client& kept = connect();
    send(kept, "GET /old HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    r = reply(kept);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->header("Connection"), "keep-alive");
    send(kept, "GET /again HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    r = reply(kept);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->body, "target /again");
}

TEST_F(ConnectionTest, HeadSaysTheLengthButSendsNoBody) {
    Client& c = connect();
    send(c, "HEAD /h HTTP/1.1\r\nHost: test\r\n\r\n" + get("/after"));
    auto head = reply(c, /*head_request=*/true);
    ASSERT_TRUE(head);
    EXPECT_EQ(head->status, 200);
    EXPECT_EQ(head->header("Content-Length"), "9");
    // Had the body been sent, it would stand where the next response must.
    auto after = reply(c);
    ASSERT_TRUE(after);
    EXPECT_TRUE(after->head.starts_with("HTTP/1.1 200 OK\r\n")) << after->head;
    EXPECT_EQ(after->body, "target /after");
}

TEST_F(ConnectionTest, NotModifiedAndNoContentHaveNeitherLengthNorBody) {
    script_.answer = [](const http::Request& req, http::Response& out) {
        out.status = req.target == "/304" ? 304 : 204;
        out.body = "never sent";
    };
    Client& c = connect();
    send(c, get("/304") + get("/204") + get("/304"));
    for (int status : {304, 204, 304}) {
        auto r = reply(c, /*head_request=*/true);
        ASSERT_TRUE(r) << status;
        EXPECT_EQ(r->status, status);
        EXPECT_FALSE(r->header("Content-Length")) << r->head;
    }
    poll();
    read_available(c);
    EXPECT_EQ(c.received, "") << "nothing follows the three heads";
    EXPECT_FALSE(c.closed);
}

TEST_F(ConnectionTest, AFileBodyIsSentFromItsOffset) {
    const std::string content = "0123456789abcdef";
    ct_test::write_file(dir_ / "file.bin", content);
    script_.answer = [&](const http::Request&, http::Response& out) {
        auto file = std::make_shared<http::OpenFile>();
        file->fd.reset(::open((dir_ / "file.bin").c_str(), O_RDONLY | O_CLOEXEC));
        file->size = content.size();
        out.status = 206;
        out.file = std::move(file);
        out.file_offset = 4;
        out.file_length = 6;
    };
    Client& c = connect();
    send(c, get("/f") + get("/f"));
    for (int i = 0; i < 2; ++i) {
        auto r = reply(c);
        ASSERT_TRUE(r);
        EXPECT_EQ(r->status, 206);
        EXPECT_EQ(r->body, "456789");
    }
}

// The two ways a handler fails: a bug that throws, and a header add_header refuses.
struct FailureCase {
    std::string name;  // test name suffix
    std::function<void(http::Response&)> fail;
};

void PrintTo(const FailureCase& c, std::ostream* os) { *os << c.name; }

class FailingHandler : public ConnectionTest, public ::testing::WithParamInterface<FailureCase> {};

TEST_P(FailingHandler, Gives500AndTheConnectionLivesOn) {
    script_.answer = [](const http::Request& req, http::Response& out) {
        out.add_header("X-Half", "done");
        if (req.target == "/fail") GetParam().fail(out);
        out.body = "fine";
    };
    Client& c = connect();
    send(c, get("/fail") + get("/ok"));
    auto failed = reply(c);
    ASSERT_TRUE(failed);
    EXPECT_EQ(failed->status, 500);
    EXPECT_FALSE(failed->header("X-Half")) << "nothing of the failed answer is sent";
    EXPECT_EQ(failed->head.find("Set-Cookie"), std::string::npos) << "never a split header: " << failed->head;
    EXPECT_FALSE(failed->header("Connection"));
    auto ok = reply(c);
    ASSERT_TRUE(ok);
    EXPECT_EQ(ok->status, 200);
    EXPECT_EQ(ok->body, "fine");
}

INSTANTIATE_TEST_SUITE_P(
    Failures, FailingHandler,
    ::testing::Values(FailureCase{"Throws", [](http::Response&) { throw std::runtime_error("bug"); }},
                      FailureCase{"RefusedHeader",
                                  [](http::Response& out) {
                                      out.add_header("Location", "/x\r\nSet-Cookie: stolen=1");
                                  }}),
    [](const auto& info) { return info.param.name; });

TEST_F(ConnectionTest, AHeadOf500HasNoBodyEither) {
    script_.answer = [](const http::Request&, http::Response&) { throw std::runtime_error("bug"); };
    Client& c = connect();
    send(c, "HEAD /h HTTP/1.1\r\nHost: test\r\n\r\n" + get("/after"));
    auto head = reply(c, /*head_request=*/true);
    ASSERT_TRUE(head);
    EXPECT_EQ(head->status, 500);
    auto after = reply(c);
    ASSERT_TRUE(after);
    EXPECT_TRUE(after->head.starts_with("HTTP/1.1 500 ")) << after->head;
}

struct RefusedCase {
    std::string name;  // test name suffix
    std::string request;
    int status;
};

void PrintTo(const RefusedCase& c, std::ostream* os) { *os << c.name; }

// A request the server core refuses before any handler sees it, then closes.
class RefusedRequest : public ConnectionTest, public ::testing::WithParamInterface<RefusedCase> {
protected:
    void expect_refused(Client& c) {
        auto r = reply(c);
        ASSERT_TRUE(r);
        EXPECT_EQ(r->status, GetParam().status);
        EXPECT_EQ(r->header("Connection"), "close");
        EXPECT_TRUE(closed_by_server(c));
        EXPECT_TRUE(script_.targets.empty());
    }
};

TEST_P(RefusedRequest, Whole) {
    Client& c = connect();
    send(c, GetParam().request);
    expect_refused(c);
}

// The verdict comes as soon as it is known, with no more bytes than that sent.
TEST_P(RefusedRequest, AByteAtATime) {
    Client& c = connect();
    const std::string& request = GetParam().request;
    for (std::size_t sent = 0; sent < request.size() && c.received.empty(); ++sent) {
        send(c, std::string_view(request).substr(sent, 1));
        poll();
        read_available(c);
    }
    expect_refused(c);
}

INSTANTIATE_TEST_SUITE_P(
    Limits, RefusedRequest,
    ::testing::Values(
        RefusedCase{"RequestLineTooLong", get("/" + std::string(small_limits().max_request_line, 'a')), 414},
        RefusedCase{"HeaderTooLarge", get("/", "X-Big: " + std::string(small_limits().max_header_bytes, 'b') + "\r\n"),
                    431},
        RefusedCase{"BareLineFeed", "GET / HTTP/1.1\nHost: test\n\n", 400},
        RefusedCase{"NoHost", "GET / HTTP/1.1\r\n\r\n", 400}),
    [](const auto& info) { return info.param.name; });

TEST_F(ConnectionTest, ARequestWithABodyIsAnsweredThenClosed) {
    Client& c = connect();
    send(c, get("/upload", "Content-Length: 5\r\n") + "hello" + get("/never"));
    auto r = reply(c);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->header("Connection"), "close");
    EXPECT_TRUE(closed_by_server(c));
    EXPECT_EQ(script_.targets, (std::vector<std::string>{"/upload"})) << "the body is not taken for a request";
}

TEST_F(ConnectionTest, EachResponseIsLoggedWithItsStatusAndBodyBytes) {
    Client& c = connect();
    send(c, get("/logged", "User-Agent: unit\r\n") + "HEAD /h HTTP/1.1\r\nHost: test\r\n\r\n");
    ASSERT_TRUE(reply(c));
    ASSERT_TRUE(reply(c, /*head_request=*/true));
    const auto lines = ct_test::read_file(dir_ / "access.log");
    EXPECT_NE(lines.find("\"GET /logged HTTP/1.1\" 200 14 \"-\" \"unit\"\n"), std::string::npos) << lines;
    EXPECT_NE(lines.find("\"HEAD /h HTTP/1.1\" 200 0 "), std::string::npos) << lines;
}

// One sample of the metrics' exposition, 0 if absent.
double sample(const std::string& series) {
    std::string text;
    metrics::write_exposition(text);
    const auto at = text.find("\n" + series + " ");
    return at == std::string::npos ? 0 : std::stod(text.substr(at + series.size() + 2));
}

TEST_F(ConnectionTest, AResponseCutShortIsCountedWithTheBytesThatWentOut) {
    const std::string requests = "cache_tier_http_requests_total{route=\"admin\",code=\"200\"}";
    const std::string bytes = "cache_tier_http_response_body_bytes_total{route=\"admin\"}";
    const double requests_before = sample(requests), bytes_before = sample(bytes);
    const double opened_before = sample("cache_tier_connections_accepted_total");
    const std::size_t size = 8 << 20;  // far more than the socket buffers hold
    script_.answer = [&](const http::Request&, http::Response& out) {
        out.route = metrics::Route::admin;
        out.body.assign(size, 'x');
    };
    Client& c = connect();
    send(c, get("/big"));
    ASSERT_TRUE(run_until(c, [&] { return c.received.size() > 100000; }));
    const std::size_t received_body = c.received.size() - (c.received.find("\r\n\r\n") + 4);
    c.fd.reset();  // the client goes away mid-body
    run_until_all_closed();
    ASSERT_EQ(shared_.connections.load(), 0u);
    EXPECT_EQ(sample(requests) - requests_before, 1);
    const double sent = sample(bytes) - bytes_before;
    EXPECT_GE(sent, received_body);
    EXPECT_LT(sent, size);
    EXPECT_EQ(sample("cache_tier_connections_accepted_total") - opened_before, 1);
}

namespace {

std::string post(const std::string& target, const std::string& body, const std::string& extra = "") {
    return "POST " + target + " HTTP/1.1\r\nHost: test\r\nContent-Length: " + std::to_string(body.size()) + "\r\n" +
           extra + "\r\n" + body;
}

}  // namespace

class RequestBody : public ConnectionTest {
protected:
    void SetUp() override {
        script_.max_body = 16;
        script_.answer = [](const http::Request& req, http::Response& out) {
            out.body.append("body [").append(req.body).append("]");
        };
    }
};

TEST_F(RequestBody, ABodyAskedForIsReadWholeAndTheConnectionLivesOn) {
    Client& c = connect();
    const std::string first = post("/warm", "[\"a\",\"b\"]");
    // The body arrives in two reads, the second with the next request.
    send(c, first.substr(0, first.size() - 4));
    poll();
    send(c, first.substr(first.size() - 4) + get("/next"));
    auto r = reply(c);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->body, "body [[\"a\",\"b\"]]");
    EXPECT_FALSE(r->header("Connection"));
    auto next = reply(c);
    ASSERT_TRUE(next);
    EXPECT_EQ(next->body, "body []");
    EXPECT_EQ(script_.targets, (std::vector<std::string>{"/warm", "/next"}));
}

TEST_F(RequestBody, ABodyOverTheLimitIs413AndTheHandlerIsNotCalled) {
    Client& c = connect();
    send(c, post("/warm", std::string(17, 'x')));
    auto r = reply(c);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 413);
    EXPECT_TRUE(closed_by_server(c));
    EXPECT_TRUE(script_.targets.empty());
}

TEST_F(RequestBody, ABodyOfUnknownLengthIs411) {
    Client& c = connect();
    send(c, "POST /warm HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n");
    auto r = reply(c);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 411);
    EXPECT_TRUE(script_.targets.empty());
}

TEST_F(RequestBody, WithoutTheHandlersAskingTheBodyIsNotReadAndTheConnectionCloses) {
    script_.max_body = 0;
    Client& c = connect();
    send(c, post("/warm", "[1]") + get("/never"));
    auto r = reply(c);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->body, "body []");
    EXPECT_EQ(r->header("Connection"), "close");
    EXPECT_TRUE(closed_by_server(c));
}

}  // namespace
}  // namespace cache_tier::server
