#pragma once
// Where a request's header ends, found in bytes that arrive in any number of
// reads, with framing errors refused as soon as they are seen (RFC 9112 §2.2).
// Looking only for "\r\n\r\n" would leave a client that ends its lines with a
// bare LF waiting in silence for the header timeout, and would let a request
// line that arrives in one read with the rest of its header escape
// max_request_line.
#include <cstddef>
#include <string_view>

namespace cache_tier::server {

enum class HeaderScan {
    need_more,              // no verdict yet: read more
    complete,               // the header is whole: request_start() and header_end() say where
    bad_line_ending,        // a bare LF, or a CR not followed by LF: 400
    obsolete_line_folding,  // a field line starting with SP or HTAB: 400
    request_line_too_long,  // 414
    header_too_large,       // 431
};

struct HeaderLimits {
    std::size_t max_request_line;  // bytes of the request-line, without its CRLF
    std::size_t max_header_bytes;  // from the request's first byte (empty lines before it count) to the header's end
};

class HeaderScanner {
public:
    explicit HeaderScanner(HeaderLimits limits) : limits_(limits) {}

    // Forget the previous request: the next scan() starts at a request's first byte.
    void reset() { *this = HeaderScanner(limits_); }

    // `pending` holds the request's bytes received so far, from its first one:
    // what the previous call saw plus what has arrived since (more may follow
    // the header: a body or the next pipelined request). Only new bytes are
    // looked at, so a header that arrives a byte at a time costs no more than
    // one that arrives whole.
    HeaderScan scan(std::string_view pending);

    // Once complete, offsets into `pending`:
    std::size_t request_start() const { return request_start_; }  // past the empty lines before the request-line
    std::size_t header_end() const { return line_start_; }         // past the empty line that ends the header

private:
    enum class Part { empty_lines, request_line, fields };

    HeaderScan end_of_line(std::size_t line_end);
    HeaderScan verdict_on_partial_line(std::size_t received) const;

    HeaderLimits limits_;
    Part part_ = Part::empty_lines;
    std::size_t request_start_ = 0;
    std::size_t line_start_ = 0;  // first byte of the line being scanned
    std::size_t checked_ = 0;     // [line_start_, checked_) holds neither CR nor LF
};

}  // namespace cache_tier::server
