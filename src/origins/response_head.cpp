#include "origins/response_head.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "http/ascii.hpp"
#include "http/mime.hpp"
#include "http/ows.hpp"

namespace cache_tier::origins::detail {

namespace {

using Length = std::optional<std::uint64_t>;

// A line as curl hands it over, without its CRLF and surrounding whitespace.
std::string_view trim_line(std::string_view line) {
    while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) line.remove_suffix(1);
    return http::trim_ows(line);
}

// The elements of the comma-separated lists on all `lines` (RFC 9110 §5.6.1),
// empty ones dropped as recipients must.
std::vector<std::string_view> list_elements(const std::vector<std::string>& lines) {
    std::vector<std::string_view> elements;
    for (std::string_view rest : lines) {
        while (!rest.empty()) {
            auto comma = rest.find(',');
            std::string_view element = http::trim_ows(rest.substr(0, comma));
            if (!element.empty()) elements.push_back(element);
            rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
        }
    }
    return elements;
}

// All lines of a field as one value, for messages ("10, 20").
std::string joined(const std::vector<std::string>& lines) {
    std::string text;
    for (const auto& line : lines) text += (text.empty() ? "" : ", ") + line;
    return text;
}

// Content-Length = 1*DIGIT (RFC 9110 §8.6): no sign, no space, no overflow.
Length parse_length(std::string_view text) {
    std::uint64_t value = 0;
    if (text.empty() || !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; }))
        return std::nullopt;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
    return value;
}

Error invalid_framing(const std::string& what) {
    return Error{"origin sent " + what + ": invalid framing (RFC 9112 §6.3)"};
}

// RFC 9112 §6.3: Transfer-Encoding overrides Content-Length, and a message
// with both "ought to be handled as an error" (request smuggling, response
// splitting); differing or malformed lengths make the framing invalid. A list
// of one length repeated may be taken as that length (RFC 9110 §8.6).
Result<Length> announced_length(const ResponseHead& head) {
    if (head.content_length.empty()) return Length();
    if (!head.transfer_encoding.empty()) return invalid_framing("both Content-Length and Transfer-Encoding");
    const std::string values = joined(head.content_length);
    Length length;
    for (std::string_view element : list_elements(head.content_length)) {
        Length value = parse_length(element);
        if (!value) return invalid_framing("an invalid Content-Length (" + values + ")");
        if (length && *length != *value) return invalid_framing("conflicting Content-Length values (" + values + ")");
        length = value;
    }
    if (!length) return invalid_framing("an empty Content-Length");
    return length;
}

// RFC 9110 §8.4: Content-Encoding lists the codings applied to the file, and
// "identity" is none. S3 sends an object stored gzipped that way even to a
// client that did not ask: its bytes are not the file's, whatever the name says.
bool encoded(const ResponseHead& head) {
    auto codings = list_elements(head.content_encoding);
    return std::any_of(codings.begin(), codings.end(), [](std::string_view c) { return !http::iequals_ascii(c, "identity"); });
}

// The media type of a Content-Type value, without its parameters (RFC 9110 §8.3.1).
std::string_view media_type(std::string_view content_type) {
    return http::trim_ows(content_type.substr(0, content_type.find(';')));
}

}  // namespace

ResponseHead parse_status_line(std::string_view line) {
    ResponseHead head;
    line = trim_line(line);
    auto space = line.find(' ');
    if (space == std::string_view::npos) return head;
    std::string_view rest = line.substr(space + 1);
    auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), head.status);
    if (ec != std::errc()) head.status = 0;
    head.reason = std::string(http::trim_ows(std::string_view(end, rest.data() + rest.size() - end)));
    return head;
}

void add_field(ResponseHead& head, std::string_view line) {
    line = trim_line(line);
    auto colon = line.find(':');
    if (colon == std::string_view::npos) return;
    std::string_view name = http::trim_ows(line.substr(0, colon));
    std::string value(http::trim_ows(line.substr(colon + 1)));
    if (http::iequals_ascii(name, "ETag")) head.etag = std::move(value);
    else if (http::iequals_ascii(name, "Last-Modified")) head.last_modified = std::move(value);
    else if (http::iequals_ascii(name, "Content-Length")) head.content_length.push_back(std::move(value));
    else if (http::iequals_ascii(name, "Content-Encoding")) head.content_encoding.push_back(std::move(value));
    else if (http::iequals_ascii(name, "Transfer-Encoding")) head.transfer_encoding.push_back(std::move(value));
    else if (http::iequals_ascii(name, "Content-Range")) head.content_range.push_back(std::move(value));
    else if (http::iequals_ascii(name, "Cache-Control")) head.cache_control.push_back(std::move(value));
    else if (http::iequals_ascii(name, "Content-Type")) head.content_type = std::move(value);
}

std::string status_text(const ResponseHead& head) {
    std::string text = std::to_string(head.status);
    if (!head.reason.empty()) text += " " + head.reason;
    return text;
}

Result<Length> whole_file_length(const ResponseHead& head) {
    // RFC 9110 §15.3: of the 2xx answers only a 200 carries the file as it is
    // now, whole. A 203 is a proxy's transformed copy (§15.3.4), a 206 a part
    // (§15.3.7), a 204 or 205 nothing (§15.3.5, §15.3.6), a 201 or 202 news
    // of an action. A redirect that ends in one of them is no better.
    if (head.status != 200)
        return Error{"origin answered " + status_text(head) + "; only a 200 with the whole file is cached"};
    // RFC 9110 §14.4: Content-Range means something only in a 206 or a 416;
    // on a 200 it marks a part labelled as the whole.
    if (!head.content_range.empty())
        return Error{"origin answered 200 with Content-Range: " + joined(head.content_range) +
                     "; a part of the file is not the file"};
    if (encoded(head))
        return Error{"origin sent the file with Content-Encoding: " + joined(head.content_encoding) +
                     "; cache-tier stores files only as they are, unencoded"};
    return announced_length(head);
}

Status may_store(const ResponseHead& head) {
    // RFC 9111 §5.2.2.5 (no-store): a cache must not store any part of it;
    // §5.2.2.7 (private): a shared cache, which cache-tier is, must not store
    // it. Either may carry arguments ("private=\"Set-Cookie\"" restricts it to
    // fields): only the unqualified form is about the body.
    for (std::string_view directive : list_elements(head.cache_control)) {
        if (http::iequals_ascii(directive, "no-store") || http::iequals_ascii(directive, "private"))
            return Error{"origin marks the file Cache-Control: " + joined(head.cache_control) +
                         "; a shared cache may not keep it (RFC 9111 §3)"};
    }
    return {};
}

Status may_be_the_named_file(const ResponseHead& head, std::string_view key) {
    if (!http::iequals_ascii(media_type(head.content_type), "text/html")) return {};
    const std::string_view expected = http::content_type_for(key);
    if (expected == http::content_type_for("") || http::iequals_ascii(media_type(expected), "text/html")) return {};
    std::string_view file = key.substr(key.rfind('/') + 1);
    return Error{"origin answered 200 with Content-Type: " + head.content_type + " for a " +
                 std::string(file.substr(file.rfind('.'))) + " file (" + std::string(media_type(expected)) +
                 "): an HTML page, most likely an error page, is not the file"};
}

}  // namespace cache_tier::origins::detail
