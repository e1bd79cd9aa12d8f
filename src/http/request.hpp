#pragma once
// The parts of an HTTP request that the routes look at. Every view points into
// the connection's read buffer and is valid only while the request is handled.
#include <cstdint>
#include <string_view>

namespace cache_tier::http {

enum class Method { get, head, post, del, other };

struct Request {
    Method method = Method::other;
    std::string_view method_name;
    std::string_view target;  // raw request-target, still percent-encoded
    unsigned version = 11;    // 10 or 11
    bool keep_alive = true;
    bool has_body = false;  // a body follows that was not read (see Handler::max_body)
    // The body, read whole when the handler asked for it (Handler::max_body);
    // it lives in the connection's own buffer, as long as the request.
    std::string_view body;
    // The handler deferred its answer once (Response::defer) and is called
    // again: this time it must answer.
    bool retried = false;
    // It came over TLS (an HTTPS listener).
    bool secure = false;

    std::string_view host;
    std::string_view range;
    std::string_view if_match;
    std::string_view if_none_match;
    std::string_view if_modified_since;
    std::string_view if_unmodified_since;
    std::string_view if_range;
    std::string_view user_agent;
    std::string_view referer;
    std::string_view authorization;

    // Path part of the target, without the query string.
    std::string_view path() const {
        auto q = target.find('?');
        return q == std::string_view::npos ? target : target.substr(0, q);
    }
    // The query string, without its '?'; "" if none.
    std::string_view query() const {
        auto q = target.find('?');
        return q == std::string_view::npos ? std::string_view() : target.substr(q + 1);
    }
};

}  // namespace cache_tier::http
