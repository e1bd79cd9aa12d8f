#include "server/header_scanner.hpp"

#include <cstring>

namespace cache_tier::server {

HeaderScan HeaderScanner::scan(std::string_view pending) {
    const char* data = pending.data();
    const std::size_t size = pending.size();
    for (;;) {
        // §5.2: a field line that starts with whitespace folds onto the one
        // before (obs-fold). A server must refuse or unfold it; parsers that
        // differ here read different requests (smuggling), so it is refused,
        // at its first byte. So is whitespace before the first field (§2.2).
        if (part_ == Part::fields && line_start_ < size && (data[line_start_] == ' ' || data[line_start_] == '\t'))
            return HeaderScan::obsolete_line_folding;
        // Two memchr per line, as cheap as a search for "\r\n\r\n".
        const void* lf = std::memchr(data + checked_, '\n', size - checked_);
        const std::size_t end = lf ? static_cast<std::size_t>(static_cast<const char*>(lf) - data) : size;
        const void* cr = std::memchr(data + checked_, '\r', end - checked_);
        const std::size_t cr_at = cr ? static_cast<std::size_t>(static_cast<const char*>(cr) - data) : end;
        // §2.2: a CR is only ever the first half of a CRLF. One received last
        // is judged when the next byte comes.
        if (cr && cr_at + 1 < end) return HeaderScan::bad_line_ending;
        if (!lf) {
            checked_ = cr_at;
            return verdict_on_partial_line(size);
        }
        // §2.2 lets a recipient take a bare LF for a line end; we refuse it
        // instead, as we refuse the bare CR.
        if (!cr) return HeaderScan::bad_line_ending;
        if (HeaderScan verdict = end_of_line(cr_at); verdict != HeaderScan::need_more) return verdict;
    }
}

// The line [line_start_, line_end) ends with the CRLF at line_end.
// need_more: go on with the next line.
HeaderScan HeaderScanner::end_of_line(std::size_t line_end) {
    const bool empty = line_end == line_start_;
    if (part_ == Part::empty_lines && !empty) part_ = Part::request_line;
    if (part_ == Part::request_line && line_end - line_start_ > limits_.max_request_line)
        return HeaderScan::request_line_too_long;
    const std::size_t next = line_end + 2;
    if (next > limits_.max_header_bytes) return HeaderScan::header_too_large;
    line_start_ = checked_ = next;
    switch (part_) {
        case Part::empty_lines: request_start_ = next; break;  // §2.2: ignored before the request-line
        case Part::request_line: part_ = Part::fields; break;
        case Part::fields: return empty ? HeaderScan::complete : HeaderScan::need_more;
    }
    return HeaderScan::need_more;
}

// No verdict from whole lines yet; what has come of the next one may already be too much.
HeaderScan HeaderScanner::verdict_on_partial_line(std::size_t received) const {
    if (part_ != Part::fields && checked_ - line_start_ > limits_.max_request_line)
        return HeaderScan::request_line_too_long;
    if (received > limits_.max_header_bytes) return HeaderScan::header_too_large;
    return HeaderScan::need_more;
}

}  // namespace cache_tier::server
