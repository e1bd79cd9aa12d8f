#pragma once
// A response as the routes describe it. The server core adds the status line,
// Date, Server, Content-Length and Connection, and writes the body: from
// memory with writev, or from a file with sendfile. Every other header goes
// through Response::add_header, which refuses what would split the header block.
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

#include "common/unique_fd.hpp"
#include "http/growing_body.hpp"
#include "metrics/catalog.hpp"

namespace cache_tier::http {

// A file opened for serving. Shared, so a response in flight keeps the
// descriptor open even if the file cache drops or replaces the entry.
struct OpenFile {
    UniqueFd fd;
    std::uint64_t size = 0;
    // Seconds since the epoch: the file's modification time, or the Date of
    // the responses if that is earlier (RFC 9110 §8.8.2.1). Conditionals
    // compare with it, so they agree with the Last-Modified sent.
    std::int64_t mtime = 0;
    std::string etag;           // quoted strong validator, e.g. "\"5f2a-1000\""
    std::string last_modified;  // IMF-fixdate of mtime
    std::string_view content_type;
    // Set while the file is still being filled: `size` is its final size, and
    // the server core sends only what is on disk, waiting for the rest.
    std::shared_ptr<GrowingBody> growing;
};

// The one way an OpenFile is described: `name`'s file, `size` bytes, modified
// at `mtime`, served with responses dated `date`. Last-Modified (and what
// conditionals compare) is never later than the Date (RFC 9110 §8.8.2.1); the
// ETag keeps the file's own time, so it does not change when the Date passes
// it. A file served while it fills and its cached copy are described alike,
// so they carry the same validators.
std::shared_ptr<OpenFile> describe_file(UniqueFd fd, std::uint64_t size, std::int64_t mtime, std::int64_t date,
                                        std::string_view name);

// Thrown by Response::add_header for a header that cannot go onto the wire as
// given. It is a bug in the route (values from a request are escaped, values
// from elsewhere checked, before they get there): the server core logs it and
// answers 500 instead, and the connection lives on.
class RefusedHeader : public std::invalid_argument {
public:
    using std::invalid_argument::invalid_argument;
};

// A route that cannot answer yet, for a moment (a fill's origin has not
// answered: /download waits to know whether the file can be streamed), asks to
// be called again with the same request: when `wake_on`'s callback runs, or
// after `retry_in`, whichever comes first. Meanwhile no thread waits.
struct Deferral {
    std::chrono::milliseconds retry_in{0};  // 0: not deferred
    // Registers a one-shot callback, run on any thread; may be empty.
    std::function<void(std::function<void()>)> wake_on;
};

struct Response {
    int status = 200;
    Deferral defer;  // set by a route that wants to answer a little later
    std::string body;                        // in-memory body (used when no file)
    std::shared_ptr<const OpenFile> file;   // file body, if set
    std::uint64_t file_offset = 0;
    std::uint64_t file_length = 0;
    bool omit_body = false;  // headers say the length, no body bytes follow (the server core sets it for HEAD, 304)
    bool close = false;      // close the connection after this response
    // For the metrics the server core records when the response ends: which
    // endpoint answered, and what the request meant for the cache.
    metrics::Route route = metrics::Route::other;
    metrics::CacheResult cache_result = metrics::CacheResult::none;

    std::uint64_t content_length() const { return file ? file_length : body.size(); }

    // The one way a header gets into a response: appends "Name: value\r\n".
    // A name that is not a token (RFC 9110 §5.1), or a value with a control
    // character (CR, LF, NUL, ...: §5.5), would end the line early and split
    // the header block (RFC 9112 §5): it throws RefusedHeader and adds nothing.
    void add_header(std::string_view name, std::string_view value);
    // The header lines added so far, exactly as they go onto the wire.
    const std::string& headers() const { return headers_; }

    // Back to a blank 200, keeping the strings' capacity (no allocation per request).
    void reset() {
        status = 200;
        headers_.clear();
        body.clear();
        file.reset();
        file_offset = file_length = 0;
        omit_body = false;
        close = false;
        defer = {};
        route = metrics::Route::other;
        cache_result = metrics::CacheResult::none;
    }

private:
    std::string headers_;
};

// Fill `out` with a small plain-text (or JSON) error response, the same shape for
// every error: the bad_request / not_found / server_error of the Beast examples.
void error_response(Response& out, int status, std::string_view message);

// True if `value` holds a control character (below 0x20, or DEL): such a
// value could end a header line early (RFC 9112 §5), so it never goes into one.
bool has_control_characters(std::string_view value);

// Escape a value taken from a request so it can go into a header or HTML safely:
// control characters, quotes, '<', '>', '&' and non-ASCII bytes are percent-encoded.
std::string escape_header_value(std::string_view value);

}  // namespace cache_tier::http
