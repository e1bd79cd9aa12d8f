#include "http/response.hpp"

#include <unistd.h>

#include <string>

namespace cache_tier::http {

OpenFile::~OpenFile() {
    if (fd >= 0) ::close(fd);
}

std::string_view reason_phrase(int status) {
    // RFC 9110 §15 (and RFC 6585 for 429/431).
    switch (status) {
        case 100: return "Continue";
        case 101: return "Switching Protocols";
        case 200: return "OK";
        case 201: return "Created";
        case 202: return "Accepted";
        case 204: return "No Content";
        case 206: return "Partial Content";
        case 301: return "Moved Permanently";
        case 302: return "Found";
        case 303: return "See Other";
        case 304: return "Not Modified";
        case 307: return "Temporary Redirect";
        case 308: return "Permanent Redirect";
        case 400: return "Bad Request";
        case 401: return "Unauthorized";
        case 403: return "Forbidden";
        case 404: return "Not Found";
        case 405: return "Method Not Allowed";
        case 406: return "Not Acceptable";
        case 408: return "Request Timeout";
        case 409: return "Conflict";
        case 410: return "Gone";
        case 411: return "Length Required";
        case 412: return "Precondition Failed";
        case 413: return "Content Too Large";
        case 414: return "URI Too Long";
        case 415: return "Unsupported Media Type";
        case 416: return "Range Not Satisfiable";
        case 417: return "Expectation Failed";
        case 426: return "Upgrade Required";
        case 429: return "Too Many Requests";
        case 431: return "Request Header Fields Too Large";
        case 500: return "Internal Server Error";
        case 501: return "Not Implemented";
        case 502: return "Bad Gateway";
        case 503: return "Service Unavailable";
        case 504: return "Gateway Timeout";
        case 505: return "HTTP Version Not Supported";
        default: return "Unknown";
    }
}

void error_response(Response& out, int status, std::string_view message) {
    // Headers the route added before (Allow for 405, Content-Range for 416)
    // stay; any body it had prepared is replaced.
    out.status = status;
    out.file.reset();
    out.file_offset = out.file_length = 0;
    out.add_header("Content-Type", "text/plain; charset=utf-8");
    out.body.clear();
    out.body.append(std::to_string(status)).append(" ").append(reason_phrase(status));
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

}  // namespace cache_tier::http
