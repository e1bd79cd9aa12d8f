#pragma once
// Status codes and their reason phrases (RFC 9110 §15; RFC 6585 for 429 and
// 431) in one table: the status line the server core writes and the text of
// the error responses come from it.
#include <string>
#include <string_view>

namespace cache_tier::http {

// Reason phrase for a status code ("Not Found"); "Unknown" if not known.
std::string_view reason_phrase(int status);

// Append the status line (RFC 9112 §4): "HTTP/1.1 404 Not Found\r\n".
void append_status_line(std::string& out, int status);

}  // namespace cache_tier::http
