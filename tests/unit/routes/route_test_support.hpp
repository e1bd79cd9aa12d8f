#pragma once
// What the route tests share: requests built in one line, and a response's
// headers read back the way a client would.
#include <string>
#include <string_view>

#include "http/request.hpp"
#include "http/response.hpp"

namespace cache_tier::routes::test {

// A request as the server core hands it over; the views must outlive it.
inline http::Request request(std::string_view target, http::Method method = http::Method::get) {
    http::Request req;
    req.method = method;
    req.method_name = method == http::Method::get ? "GET" : method == http::Method::head ? "HEAD" : "POST";
    req.target = target;
    return req;
}

// The value of header `name` (exact spelling) in `out`, "" if absent.
inline std::string header(const http::Response& out, std::string_view name) {
    const std::string lines = "\r\n" + out.headers();
    const std::string prefix = "\r\n" + std::string(name) + ": ";
    const auto at = lines.find(prefix);
    if (at == std::string::npos) return "";
    const auto start = at + prefix.size();
    return lines.substr(start, lines.find("\r\n", start) - start);
}

inline bool has_header(const http::Response& out, std::string_view name) {
    return ("\r\n" + out.headers()).find("\r\n" + std::string(name) + ": ") != std::string::npos;
}

}  // namespace cache_tier::routes::test
