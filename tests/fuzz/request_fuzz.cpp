// A client's bytes, as one connection receives them, through what the server
// core does with them before anything is written: HeaderScanner finds each
// request's header, RequestParser (Beast's basic_parser) parses it, and the
// router answers it, over a cache directory holding a few files. No socket:
// the same steps as server::Connection::process, pipelined requests included.
//
// Properties: the scanner gives the same verdict fed a byte at a time as fed
// everything at once; every response has a valid status and a header block of
// well-formed "Name: value" lines; a file body lies within its file.
#include <boost/asio/buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <cstddef>
#include <cstdint>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "fuzz_support.hpp"
#include "http/handler.hpp"
#include "routes/routes.hpp"
#include "server/header_scanner.hpp"
#include "server/request_parser.hpp"
#include "server/server.hpp"

namespace {

using namespace cache_tier;

struct Setup {
    fuzz::TempDir cache;
    server::ServerOptions server;
    std::unique_ptr<http::Handler> router;

    Setup() {
        write("a.txt", "alpha");
        write("empty.bin", "");
        std::filesystem::create_directories(cache.path() / "show");
        write("show/ep 1.mp3", std::string(3000, 'x'));
        router = routes::make_router_factory(routes::RouteOptions{}, cache.path().string(), nullptr)();
        router->tick(1764000000);  // the Date the responses carry: fixed, so a run is repeatable
    }
    void write(const char* name, const std::string& content) { std::ofstream(cache.path() / name) << content; }
};

Setup& setup() {
    static Setup s;
    return s;
}

server::HeaderLimits limits() { return {setup().server.max_request_line, setup().server.max_header_bytes}; }

// The verdict must not depend on how the bytes were split into reads.
void check_scan_is_incremental(std::string_view pending, server::HeaderScan whole, const server::HeaderScanner& once) {
    server::HeaderScanner scanner(limits());
    server::HeaderScan verdict = server::HeaderScan::need_more;
    for (std::size_t n = 1; n <= pending.size() && verdict == server::HeaderScan::need_more; ++n)
        verdict = scanner.scan(pending.substr(0, n));
    FUZZ_CHECK(verdict == whole);
    if (whole == server::HeaderScan::complete) {
        FUZZ_CHECK(scanner.request_start() == once.request_start());
        FUZZ_CHECK(scanner.header_end() == once.header_end());
        FUZZ_CHECK(once.request_start() <= once.header_end() && once.header_end() <= pending.size());
    }
}

bool is_token_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

// RFC 9112 §5: each line "token: value" with no control character in the value.
void check_response(const http::Response& out) {
    FUZZ_CHECK(out.status >= 100 && out.status <= 599);
    std::string_view headers = out.headers();
    while (!headers.empty()) {
        const auto end = headers.find("\r\n");
        FUZZ_CHECK(end != std::string_view::npos);
        const std::string_view line = headers.substr(0, end);
        const auto colon = line.find(": ");
        FUZZ_CHECK(colon != std::string_view::npos && colon > 0);
        for (char c : line.substr(0, colon)) FUZZ_CHECK(is_token_char(c));
        FUZZ_CHECK(!http::has_control_characters(line.substr(colon + 2)));
        headers.remove_prefix(end + 2);
    }
    if (out.file) {
        FUZZ_CHECK(out.file_offset <= out.file->size);
        FUZZ_CHECK(out.file_length <= out.file->size - out.file_offset);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view stream = fuzz::as_text(data, size);
    http::Response out;
    // One connection: requests until the bytes run out or one ends it.
    while (!stream.empty()) {
        server::HeaderScanner scanner(limits());
        const server::HeaderScan verdict = scanner.scan(stream);
        check_scan_is_incremental(stream, verdict, scanner);
        if (verdict != server::HeaderScan::complete) return 0;  // an error answered, or waiting for more

        stream.remove_prefix(scanner.request_start());
        server::RequestParser parser;
        parser.header_limit(static_cast<std::uint32_t>(setup().server.max_header_bytes));
        boost::system::error_code ec;
        const std::size_t used = parser.put(boost::asio::const_buffer(stream.data(), stream.size()), ec);
        if (ec) return 0;  // 400 or 431, and the connection closes
        FUZZ_CHECK(used <= stream.size());
        FUZZ_CHECK(parser.is_header_done());

        http::Request& req = parser.request();
        req.keep_alive = parser.keep_alive();
        req.has_body = !parser.is_done();
        out.reset();
        setup().router->handle(req, out);
        check_response(out);
        if (!req.keep_alive || req.has_body) return 0;  // the connection closes after this response
        stream.remove_prefix(used);
    }
    return 0;
}
