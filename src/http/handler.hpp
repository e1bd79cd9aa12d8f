#pragma once
// The HTTP logic is a plain function of the request: it never touches a
// socket, so it can be tested without a network. The server core creates one
// handler per thread and calls it for each request on that thread.
#include <functional>
#include <memory>

#include "http/request.hpp"
#include "http/response.hpp"

namespace cache_tier::http {

class Handler {
public:
    virtual ~Handler() = default;
    // `out` was reset() by the caller; fill it in. Must not throw.
    virtual void handle(const Request& req, Response& out) = 0;
};

using HandlerFactory = std::function<std::unique_ptr<Handler>()>;

}  // namespace cache_tier::http
