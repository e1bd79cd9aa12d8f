#pragma once
// Beast's HTTP/1 parser, keeping only the fields the routes use as views into
// the connection's buffer: no header map, no heap allocation per request.
#include <boost/beast/http/basic_parser.hpp>

#include "http/request.hpp"

namespace cache_tier::server {

class RequestParser final : public boost::beast::http::basic_parser<true> {
public:
    RequestParser() = default;
    http::Request& request() { return request_; }

private:
    using string_view = boost::beast::string_view;
    using error_code = boost::beast::error_code;

    void on_request_impl(boost::beast::http::verb method, string_view method_str, string_view target, int version,
                         error_code& ec) override;
    void on_response_impl(int, string_view, int, error_code&) override {}
    void on_field_impl(boost::beast::http::field name, string_view name_string, string_view value,
                       error_code& ec) override;
    void on_header_impl(error_code& ec) override;
    void on_body_init_impl(boost::optional<std::uint64_t> const& content_length, error_code& ec) override;
    std::size_t on_body_impl(string_view body, error_code& ec) override { return body.size(); }
    void on_chunk_header_impl(std::uint64_t, string_view, error_code&) override {}
    std::size_t on_chunk_body_impl(std::uint64_t, string_view body, error_code&) override { return body.size(); }
    void on_finish_impl(error_code&) override {}

    http::Request request_;
    unsigned host_count_ = 0;
    bool has_transfer_encoding_ = false;
};

}  // namespace cache_tier::server
