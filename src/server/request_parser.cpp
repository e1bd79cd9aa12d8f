#include "server/request_parser.hpp"

namespace cache_tier::server {

namespace bhttp = boost::beast::http;

namespace {
std::string_view view(boost::beast::string_view s) { return {s.data(), s.size()}; }
}  // namespace

void RequestParser::on_request_impl(bhttp::verb method, string_view method_str, string_view target, int version,
                                    error_code&) {
    switch (method) {
        case bhttp::verb::get: request_.method = http::Method::get; break;
        case bhttp::verb::head: request_.method = http::Method::head; break;
        case bhttp::verb::post: request_.method = http::Method::post; break;
        case bhttp::verb::delete_: request_.method = http::Method::del; break;
        default: request_.method = http::Method::other; break;
    }
    request_.method_name = view(method_str);
    request_.target = view(target);
    request_.version = static_cast<unsigned>(version);
}

void RequestParser::on_field_impl(bhttp::field name, string_view, string_view value, error_code&) {
    std::string_view* slot = nullptr;
    switch (name) {
        case bhttp::field::transfer_encoding: has_transfer_encoding_ = true; return;
        case bhttp::field::host:
            ++host_count_;
            slot = &request_.host;
            break;
        case bhttp::field::range: slot = &request_.range; break;
        case bhttp::field::if_match: slot = &request_.if_match; break;
        case bhttp::field::if_none_match: slot = &request_.if_none_match; break;
        case bhttp::field::if_modified_since: slot = &request_.if_modified_since; break;
        case bhttp::field::if_unmodified_since: slot = &request_.if_unmodified_since; break;
        case bhttp::field::if_range: slot = &request_.if_range; break;
        case bhttp::field::user_agent: slot = &request_.user_agent; break;
        case bhttp::field::referer: slot = &request_.referer; break;
        case bhttp::field::authorization: slot = &request_.authorization; break;
        default: return;
    }
    // A repeated singleton field is ambiguous; the first one wins, as in nginx.
    if (slot->empty()) *slot = view(value);
}

void RequestParser::on_header_impl(error_code& ec) {
    // RFC 9112 §3.2: an HTTP/1.1 request has exactly one Host; never two.
    if (host_count_ > 1 || (request_.version >= 11 && host_count_ == 0)) {
        ec = bhttp::error::bad_field;
        return;
    }
    // RFC 9112 §6.3: with a transfer coding other than a final "chunked" the
    // body's length is unknown; the request must be refused (no smuggling).
    if (has_transfer_encoding_ && !chunked()) {
        ec = bhttp::error::bad_transfer_encoding;
        return;
    }
    request_.keep_alive = keep_alive();
}

void RequestParser::on_body_init_impl(boost::optional<std::uint64_t> const& content_length, error_code&) {
    // GET and HEAD carry no body; any body means the connection is closed after
    // the response instead of being read past.
    request_.has_body = chunked() || (content_length && *content_length > 0);
}

}  // namespace cache_tier::server
