#pragma once
// The HTTP logic is a plain function of the request: it never touches a
// socket, so it can be tested without a network. The server core creates one
// handler per thread and calls it for each request on that thread.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>

#include "http/request.hpp"
#include "http/response.hpp"

namespace cache_tier::http {

class Handler {
public:
    virtual ~Handler() = default;
    // `out` was reset() by the caller; fill it in. An exception is a bug (or
    // an exhausted resource): the server core logs it and sends a 500 instead.
    virtual void handle(const Request& req, Response& out) = 0;
    // Asked once the header is in, when a body follows: how many bytes of it
    // this request may carry. 0 (the default): the body is not read, handle()
    // is called at once and the connection closes after the answer. Else the
    // server core reads the body whole into Request::body before handle(), or
    // answers 413 past the limit and 411 for a body of unknown length.
    virtual std::size_t max_body(const Request& req) { return 0; }
    // Called once a second on the handler's thread, between requests, for
    // upkeep that must not slow requests down. `date` (seconds since the
    // epoch) is what the Date header of every response until the next call
    // carries (RFC 9110 §6.6.1). Default: nothing to do.
    virtual void tick(std::int64_t date) {}
};

using HandlerFactory = std::function<std::unique_ptr<Handler>()>;

}  // namespace cache_tier::http
