#include "http/status.hpp"

#include <algorithm>
#include <array>
#include <cstdint>

#include "http/number.hpp"

namespace cache_tier::http {

namespace {

constexpr std::string_view kVersion = "HTTP/1.1 ";
constexpr std::string_view kUnknown = "Unknown";

// Each status line whole, so the common case is one copy.
struct StatusLine {
    int code;
    std::string_view line;  // "HTTP/1.1 <code> <reason>\r\n"
};

constexpr StatusLine kStatusLines[] = {
    {100, "HTTP/1.1 100 Continue\r\n"},
    {101, "HTTP/1.1 101 Switching Protocols\r\n"},
    {200, "HTTP/1.1 200 OK\r\n"},
    {201, "HTTP/1.1 201 Created\r\n"},
    {202, "HTTP/1.1 202 Accepted\r\n"},
    {204, "HTTP/1.1 204 No Content\r\n"},
    {206, "HTTP/1.1 206 Partial Content\r\n"},
    {301, "HTTP/1.1 301 Moved Permanently\r\n"},
    {302, "HTTP/1.1 302 Found\r\n"},
    {303, "HTTP/1.1 303 See Other\r\n"},
    {304, "HTTP/1.1 304 Not Modified\r\n"},
    {307, "HTTP/1.1 307 Temporary Redirect\r\n"},
    {308, "HTTP/1.1 308 Permanent Redirect\r\n"},
    {400, "HTTP/1.1 400 Bad Request\r\n"},
    {401, "HTTP/1.1 401 Unauthorized\r\n"},
    {403, "HTTP/1.1 403 Forbidden\r\n"},
    {404, "HTTP/1.1 404 Not Found\r\n"},
    {405, "HTTP/1.1 405 Method Not Allowed\r\n"},
    {406, "HTTP/1.1 406 Not Acceptable\r\n"},
    {408, "HTTP/1.1 408 Request Timeout\r\n"},
    {409, "HTTP/1.1 409 Conflict\r\n"},
    {410, "HTTP/1.1 410 Gone\r\n"},
    {411, "HTTP/1.1 411 Length Required\r\n"},
    {412, "HTTP/1.1 412 Precondition Failed\r\n"},
    {413, "HTTP/1.1 413 Content Too Large\r\n"},
    {414, "HTTP/1.1 414 URI Too Long\r\n"},
    {415, "HTTP/1.1 415 Unsupported Media Type\r\n"},
    {416, "HTTP/1.1 416 Range Not Satisfiable\r\n"},
    {417, "HTTP/1.1 417 Expectation Failed\r\n"},
    {426, "HTTP/1.1 426 Upgrade Required\r\n"},
    {429, "HTTP/1.1 429 Too Many Requests\r\n"},
    {431, "HTTP/1.1 431 Request Header Fields Too Large\r\n"},
    {500, "HTTP/1.1 500 Internal Server Error\r\n"},
    {501, "HTTP/1.1 501 Not Implemented\r\n"},
    {502, "HTTP/1.1 502 Bad Gateway\r\n"},
    {503, "HTTP/1.1 503 Service Unavailable\r\n"},
    {504, "HTTP/1.1 504 Gateway Timeout\r\n"},
    {505, "HTTP/1.1 505 HTTP Version Not Supported\r\n"},
};

// Where the reason phrase starts in a line: after "HTTP/1.1 ", three digits and a space.
constexpr std::size_t kReasonStart = kVersion.size() + 4;

// A line says the code it is filed under, so the table cannot disagree with itself.
constexpr bool well_formed(const StatusLine& s) {
    const std::string_view l = s.line;
    return s.code >= 100 && s.code <= 599 && l.size() > kReasonStart + 2 && l.starts_with(kVersion) &&
           l[kVersion.size()] == '0' + s.code / 100 && l[kVersion.size() + 1] == '0' + s.code / 10 % 10 &&
           l[kVersion.size() + 2] == '0' + s.code % 10 && l[kReasonStart - 1] == ' ' && l.ends_with("\r\n");
}
static_assert(std::ranges::all_of(kStatusLines, well_formed));

// kStatusLines' index + 1 for each code (0: not known), so a lookup is one array access.
constexpr auto kIndexByCode = [] {
    std::array<std::uint8_t, 600> index{};
    for (std::size_t i = 0; i < std::size(kStatusLines); ++i)
        index[static_cast<std::size_t>(kStatusLines[i].code)] = static_cast<std::uint8_t>(i + 1);
    return index;
}();

// The whole line for a known code, "" for any other.
std::string_view known_line(int status) {
    if (status < 0 || static_cast<std::size_t>(status) >= kIndexByCode.size()) return {};
    const std::uint8_t at = kIndexByCode[static_cast<std::size_t>(status)];
    return at == 0 ? std::string_view{} : kStatusLines[at - 1].line;
}

}  // namespace

std::string_view reason_phrase(int status) {
    const std::string_view line = known_line(status);
    if (line.empty()) return kUnknown;
    return line.substr(kReasonStart, line.size() - kReasonStart - 2);
}

void append_status_line(std::string& out, int status) {
    if (const std::string_view line = known_line(status); !line.empty()) {
        out += line;
        return;
    }
    out += kVersion;
    append_decimal(out, static_cast<std::uint64_t>(status));
    out += ' ';
    out += kUnknown;
    out += "\r\n";
}

}  // namespace cache_tier::http
