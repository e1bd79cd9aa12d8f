#pragma once
// The parts of an HTTP request that the routes look at. Every view points into
// the connection's read buffer and is valid only while the request is handled.
#include <cstdint>
#include <string_view>

namespace cache_tier::http {

enum class Method { get, head, other };

struct Request {
    Method method = Method::other;
    std::string_view method_name;
    std::string_view target;  // raw request-target, still percent-encoded
    unsigned version = 11;    // 10 or 11
    bool keep_alive = true;
    bool has_body = false;
    // The handler deferred its answer once (Response::defer) and is called
    // again: this time it must answer.
    bool retried = false;

    std::string_view host;
    std::string_view range;
    std::string_view if_match;
    std::string_view if_none_match;
    std::string_view if_modified_since;
    std::string_view if_unmodified_since;
    std::string_view if_range;
    std::string_view user_agent;
    std::string_view referer;

    // Path part of the target, without the query string.
    std::string_view path() const {
        auto q = target.find('?');
        return q == std::string_view::npos ? target : target.substr(0, q);
    }
};

}  // namespace cache_tier::http
