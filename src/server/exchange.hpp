#pragma once
// What a connection needs only while it has a request in hand: the parser,
// the response and its head, a request body. A worker lends one to a
// connection when a request begins and takes it back when the connection
// goes idle, so an idle keep-alive connection holds none of it, and the
// buffers it grew are reused by the next request instead of reallocated.
#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "http/response.hpp"
#include "server/request_parser.hpp"

namespace cache_tier::server {

struct Exchange {
    std::optional<RequestParser> parser;
    std::string body;  // the request's body, when the handler asked for it
    std::size_t body_read = 0;
    bool body_taken = false;
    http::Response response;
    std::string head;
    std::size_t head_sent = 0;
    std::uint64_t body_sent = 0;
    bool response_pending = false;  // built and not yet counted in the metrics
    std::unique_ptr<boost::asio::steady_timer> retry_timer;  // only while a handler defers

    // Ready for another request; keeps the capacity of what is small.
    void clear() {
        parser.reset();
        body = std::string();  // up to max_body bytes: not kept
        body_read = 0;
        body_taken = false;
        response.reset();
        head.clear();
        head_sent = 0;
        body_sent = 0;
        response_pending = false;
        retry_timer.reset();
    }
};

}  // namespace cache_tier::server
