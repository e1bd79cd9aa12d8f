#include "http/response.hpp"

#include <algorithm>
#include <array>
#include <string>

#include "http/conditional.hpp"
#include "http/http_date.hpp"
#include "http/mime.hpp"
#include "http/number.hpp"
#include "http/status.hpp"

namespace cache_tier::http {

namespace {

// tchar, RFC 9110 §5.6.2, as a table: a header name costs one lookup a byte.
constexpr auto kTchar = [] {
    std::array<bool, 256> tchar{};
    for (unsigned char c = '0'; c <= '9'; ++c) tchar[c] = true;
    for (unsigned char c = 'a'; c <= 'z'; ++c) tchar[c] = tchar[c - 'a' + 'A'] = true;
    for (unsigned char c : std::string_view("!#$%&'*+-.^_`|~")) tchar[c] = true;
    return tchar;
}();

// field-name = token (§5.1).
bool is_token(std::string_view name) {
    if (name.empty()) return false;
    for (unsigned char c : name)
        if (!kTchar[c]) return false;
    return true;
}

}  // namespace

void Response::add_header(std::string_view name, std::string_view value) {
    // The message names the header, escaped; the value may be a request's and is not repeated.
    if (!is_token(name)) throw RefusedHeader("refused header '" + escape_header_value(name) + "': not a token");
    if (has_control_characters(value))
        throw RefusedHeader("refused header '" + std::string(name) + "': control character in its value");
    headers_.append(name).append(": ").append(value).append("\r\n");
}

void error_response(Response& out, int status, std::string_view message) {
    // Headers the route added before (Allow for 405, Content-Range for 416)
    // stay; any body it had prepared is replaced.
    out.status = status;
    out.file.reset();
    out.file_offset = out.file_length = 0;
    out.add_header("Content-Type", "text/plain; charset=utf-8");
    out.body.clear();
    append_decimal(out.body, static_cast<std::uint64_t>(status));
    out.body.append(" ").append(reason_phrase(status));
    if (!message.empty()) out.body.append(": ").append(message);
    out.body.append("\n");
}

std::string escape_header_value(std::string_view value) {
    constexpr char kHex[] = "0123456789ABCDEF";
    std::string escaped;
    escaped.reserve(value.size());
    for (const char c : value) {
        const auto byte = static_cast<unsigned char>(c);
        // '%' is escaped too, so the result decodes back to exactly the input.
        const bool unsafe = byte < 0x20 || byte >= 0x7f || c == '"' || c == '\'' || c == '<' || c == '>' ||
                            c == '&' || c == '%';
        if (unsafe) {
            escaped.push_back('%');
            escaped.push_back(kHex[byte >> 4]);
            escaped.push_back(kHex[byte & 0xF]);
        } else {
            escaped.push_back(c);
        }
    }
    return escaped;
}

bool has_control_characters(std::string_view value) {
    for (unsigned char c : value)
        if (c < 0x20 || c == 0x7f) return true;
    return false;
}

std::shared_ptr<OpenFile> describe_file(UniqueFd fd, std::uint64_t size, std::int64_t mtime, std::int64_t date,
                                        std::string_view name) {
    auto file = std::make_shared<OpenFile>();
    file->fd = std::move(fd);
    file->size = size;
    file->mtime = std::min(mtime, date);
    file->etag = strong_etag(mtime, size);
    file->last_modified = format_http_date(file->mtime);
    file->content_type = content_type_for(name);
    return file;
}

}  // namespace cache_tier::http
