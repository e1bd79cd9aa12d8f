#include "origins/curl_transfer.hpp"

#include <curl/curl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string_view>

#include "http/ascii.hpp"
#include "origins/fd_io.hpp"
#include "origins/response_head.hpp"
#include "store/file_io.hpp"

namespace cache_tier::origins::detail {

namespace {

// Enough of an error body to quote an S3 <Code>; the rest is not worth the bandwidth.
constexpr std::size_t kErrorBodyLimit = 4096;
constexpr long kMaxRedirects = 5;

// What arrived of the current response. A redirect or a 1xx starts a new one.
struct Response {
    ResponseHead head;
    bool head_complete = false;                   // later header lines are trailers
    std::optional<std::uint64_t> content_length;  // of a 2xx found to be the whole file
    bool success() const { return head.success(); }
};

// Why a callback stopped the transfer on purpose.
enum class Abort {
    none,
    not_the_file,  // a 2xx whose head says its body is not the whole, unencoded file
    announced_too_large,
    received_too_large,
    write_failed,
    error_body_full,
    cancelled,
    observer_refused,  // the observer's on_head or on_written said no (see not_the_file for why)
};

struct Transfer {
    Transfer(int fd, const FetchRequest& req) : out_fd(fd), write_behind(fd), request(req) {}
    int out_fd;
    WriteBehind write_behind;
    const FetchRequest& request;  // its max_size (0: no limit) and cancel flag
    Response response;
    std::uint64_t bytes = 0;  // body bytes written to out_fd
    std::string error_body;   // start of a non-2xx body
    Abort abort = Abort::none;
    int write_errno = 0;
    std::string not_the_file;  // why, with Abort::not_the_file
    CURL* curl = nullptr;
    bool excess = false;       // bytes came past the Content-Length (see on_close_socket)
};

struct CurlDeleter {
    void operator()(CURL* handle) const { curl_easy_cleanup(handle); }
};
struct SlistDeleter {
    void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
using HeaderList = std::unique_ptr<curl_slist, SlistDeleter>;

// The head of a 2xx is complete: refuse, before any of the body arrives, a
// body that is not the whole file or is announced over the size limit.
bool accept_head(Transfer& transfer) {
    Response& response = transfer.response;
    response.head_complete = true;
    if (!response.success()) return true;
    auto length = whole_file_length(response.head);
    Status storable = length ? may_store(response.head) : Status();
    if (storable) storable = may_be_the_named_file(response.head, transfer.request.key);
    if (!length || !storable) {
        transfer.abort = Abort::not_the_file;
        transfer.not_the_file = length ? storable.error().message : length.error().message;
        return false;
    }
    response.content_length = *length;
    const std::uint64_t limit = transfer.request.max_size;
    if (limit != 0 && response.content_length && *response.content_length > limit) {
        transfer.abort = Abort::announced_too_large;
        return false;
    }
    if (FetchObserver* observer = transfer.request.observer) {
        Status go = observer->on_head(FileHead{response.content_length, response.head.etag, response.head.last_modified});
        if (!go) {
            transfer.abort = Abort::observer_refused;
            transfer.not_the_file = go.error().message;
            return false;
        }
    }
    return true;
}

size_t on_header(char* data, size_t size, size_t count, void* user) {
    auto& transfer = *static_cast<Transfer*>(user);
    const size_t length = size * count;
    std::string_view line(data, length);
    if (line.starts_with("HTTP/")) {
        transfer.response = Response{};
        transfer.response.head = parse_status_line(line);
        return length;
    }
    // Trailers after a chunked body have no say in what the body was (RFC 9110 §6.5.1).
    if (transfer.response.head_complete) return length;
    if (line == "\r\n" || line == "\n") return accept_head(transfer) ? length : 0;
    add_field(transfer.response.head, line);
    return length;
}

// Called by curl about once a second even while nothing arrives, so a
// cancelled fetch ends without waiting for the origin or a timeout.
int on_progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
    auto& transfer = *static_cast<Transfer*>(user);
    if (!transfer.request.is_cancelled()) return 0;
    transfer.abort = Abort::cancelled;
    return 1;
}

size_t on_body(char* data, size_t size, size_t count, void* user) {
    auto& transfer = *static_cast<Transfer*>(user);
    const size_t length = size * count;
    if (!transfer.response.success()) {
        // An error page is never the file: keep its start for the message, drop the rest.
        size_t room = kErrorBodyLimit - transfer.error_body.size();
        transfer.error_body.append(data, std::min(room, length));
        if (length > room) {
            transfer.abort = Abort::error_body_full;
            return 0;
        }
        return length;
    }
    const std::uint64_t limit = transfer.request.max_size;
    if (limit != 0 && transfer.bytes + length > limit) {
        transfer.abort = Abort::received_too_large;
        return 0;
    }
    if (Status written = store::write_all(transfer.out_fd, data, length); !written) {
        transfer.abort = Abort::write_failed;
        transfer.write_errno = written.code();
        return 0;
    }
    transfer.bytes += length;
    transfer.write_behind.wrote(transfer.bytes);
    if (FetchObserver* observer = transfer.request.observer) {
        if (Status go = observer->on_written(transfer.bytes); !go) {
            transfer.abort = Abort::observer_refused;
            transfer.not_the_file = go.error().message;
            return 0;
        }
    }
    return length;
}

// curl closes each connection at the end of its transfer (CURLOPT_FORBID_REUSE)
// and reads no further than a body's Content-Length. Bytes already waiting on
// the connection then, after a whole body, mark an origin that announced less
// than it sent: what its length says would be cached as the file, cut short.
// Plain HTTP only: over TLS a close_notify may be waiting, which is no excess.
int on_close_socket(void* user, curl_socket_t fd) {
    auto& transfer = *static_cast<Transfer*>(user);
    const Response& response = transfer.response;
    char* scheme = nullptr;
    if (response.success() && response.content_length && transfer.bytes == *response.content_length &&
        curl_easy_getinfo(transfer.curl, CURLINFO_SCHEME, &scheme) == CURLE_OK && scheme &&
        http::iequals_ascii(scheme, "http")) {
        char byte = 0;
        transfer.excess = ::recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT) > 0;
    }
    return ::close(fd);
}

CURL* thread_handle() {
    // One handle per fill worker thread: curl keeps its connection cache in the
    // handle, so consecutive fetches from one origin reuse the connection.
    thread_local std::unique_ptr<CURL, CurlDeleter> handle;
    if (!handle) {
        ensure_curl_initialized();
        handle.reset(curl_easy_init());
        if (!handle) throw std::runtime_error("curl_easy_init failed");
    }
    return handle.get();
}

void append_header(HeaderList& list, const std::string& line) {
    curl_slist* head = curl_slist_append(list.get(), line.c_str());
    if (!head) throw std::bad_alloc();
    list.release();
    list.reset(head);
}

HeaderList request_headers(const TransferRequest& transfer, const Validators& validators) {
    HeaderList list;
    for (const auto& header : transfer.headers) append_header(list, header);
    // Only the file as it is may be cached (see whole_file_length): ask for no
    // content coding, and refuse one sent anyway.
    append_header(list, "Accept-Encoding: identity");
    // Validators come from our own metadata; a line break in one would forge headers.
    auto safe = [](const std::string& v) { return !v.empty() && v.find_first_of("\r\n") == std::string::npos; };
    if (safe(validators.etag)) append_header(list, "If-None-Match: " + validators.etag);
    if (safe(validators.last_modified)) append_header(list, "If-Modified-Since: " + validators.last_modified);
    return list;
}

// curl measures the low-speed window in whole seconds.
std::chrono::seconds low_speed_window(const OriginOptions& opts) {
    return std::chrono::ceil<std::chrono::seconds>(opts.low_speed_time);
}

template <typename T>
void set(CURL* curl, CURLoption option, T value) {
    if (CURLcode code = curl_easy_setopt(curl, option, value); code != CURLE_OK)
        throw std::runtime_error(std::string("curl_easy_setopt failed: ") + curl_easy_strerror(code));
}

void configure(CURL* curl, const OriginOptions& opts, const TransferRequest& transfer, curl_slist* headers,
               Transfer& state, char* error_buffer) {
    set(curl, CURLOPT_URL, transfer.url.c_str());
    set(curl, CURLOPT_HTTPGET, 1L);
    set(curl, CURLOPT_NOSIGNAL, 1L);  // worker threads: no SIGALRM for DNS timeouts
    // Never let an origin (or its redirects) point curl at file://, ftp:// and the like.
    set(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    set(curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    set(curl, CURLOPT_FOLLOWLOCATION, transfer.follow_redirects ? 1L : 0L);
    set(curl, CURLOPT_MAXREDIRS, kMaxRedirects);
    set(curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(opts.connect_timeout.count()));
    if (opts.low_speed_bytes > 0 && opts.low_speed_time.count() > 0) {
        set(curl, CURLOPT_LOW_SPEED_LIMIT, opts.low_speed_bytes);
        set(curl, CURLOPT_LOW_SPEED_TIME, static_cast<long>(low_speed_window(opts).count()));
    }
    if (opts.total_timeout.count() > 0) set(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(opts.total_timeout.count()));
    set(curl, CURLOPT_TCP_KEEPALIVE, 1L);
    // A new connection for every fetch: an origin that sends bytes past a
    // response's end (a sloppy one, or a second response nobody asked for)
    // would otherwise have them read as the answer to the next request on the
    // reused connection, and cached under another file's name. A fill is a
    // whole file fetched in the background: a handshake costs it nothing visible.
    set(curl, CURLOPT_FORBID_REUSE, 1L);
    set(curl, CURLOPT_USERAGENT, opts.user_agent.c_str());
    set(curl, CURLOPT_HTTPHEADER, headers);
    set(curl, CURLOPT_HEADERFUNCTION, &on_header);
    set(curl, CURLOPT_HEADERDATA, static_cast<void*>(&state));
    set(curl, CURLOPT_WRITEFUNCTION, &on_body);
    set(curl, CURLOPT_WRITEDATA, static_cast<void*>(&state));
    set(curl, CURLOPT_NOPROGRESS, 0L);
    set(curl, CURLOPT_XFERINFOFUNCTION, &on_progress);
    set(curl, CURLOPT_XFERINFODATA, static_cast<void*>(&state));
    set(curl, CURLOPT_CLOSESOCKETFUNCTION, &on_close_socket);
    set(curl, CURLOPT_CLOSESOCKETDATA, static_cast<void*>(&state));
    // CURLOPT_ACCEPT_ENCODING stays unset: with it curl would decode gzip
    // bodies itself, and a decoded copy is not what the origin holds.
    set(curl, CURLOPT_ERRORBUFFER, error_buffer);
    if (!transfer.aws_sigv4.empty()) {
        set(curl, CURLOPT_AWS_SIGV4, transfer.aws_sigv4.c_str());
        set(curl, CURLOPT_USERNAME, transfer.username.c_str());
        set(curl, CURLOPT_PASSWORD, transfer.password.c_str());
    }
}

std::string seconds_text(std::chrono::milliseconds duration) {
    auto ms = duration.count();
    if (ms % 1000 == 0) return std::to_string(ms / 1000) + " s";
    return std::to_string(ms / 1000) + "." + std::to_string((ms % 1000) / 100) + " s";
}

// "1048576 of 5242880 bytes" or "1048576 bytes" when the length was not announced.
std::string progress_text(const Transfer& transfer) {
    std::string text = std::to_string(transfer.bytes);
    if (transfer.response.content_length) text += " of " + std::to_string(*transfer.response.content_length);
    return text + " bytes";
}

// What the transport says when no complete answer arrived.
void describe_transport_failure(CURLcode code, CURL* curl, const Transfer& transfer, const OriginOptions& opts,
                                const char* error_buffer, FetchResult& result) {
    std::string detail = error_buffer[0] != '\0' ? error_buffer : curl_easy_strerror(code);
    const bool answered = transfer.response.head.status != 0;
    result.status = FetchStatus::connection_error;
    switch (code) {
        case CURLE_OPERATION_TIMEDOUT: {
            result.status = FetchStatus::timeout;
            curl_off_t connect_time = 0;
            curl_easy_getinfo(curl, CURLINFO_CONNECT_TIME_T, &connect_time);
            curl_off_t total_time = 0;
            curl_easy_getinfo(curl, CURLINFO_TOTAL_TIME_T, &total_time);
            auto elapsed = std::chrono::milliseconds(total_time / 1000);
            if (connect_time == 0 && !answered) {
                result.message = "connecting to origin timed out after " + seconds_text(opts.connect_timeout);
            } else if (opts.total_timeout.count() > 0 && elapsed >= opts.total_timeout) {
                result.message = "origin timed out after " + seconds_text(opts.total_timeout) + " (" +
                                 progress_text(transfer) + ")";
            } else {
                result.message = "origin timed out: under " + std::to_string(opts.low_speed_bytes) +
                                 " bytes/s for " + seconds_text(low_speed_window(opts)) + " (" +
                                 progress_text(transfer) + ")";
            }
            return;
        }
        case CURLE_PARTIAL_FILE:
            result.status = FetchStatus::short_body;
            result.message = "origin closed the connection after " + progress_text(transfer);
            return;
        case CURLE_RECV_ERROR:
        case CURLE_SEND_ERROR: {
            long os_errno = 0;
            curl_easy_getinfo(curl, CURLINFO_OS_ERRNO, &os_errno);
            if (answered && os_errno == ECONNRESET)
                result.message = "connection reset by origin after " + progress_text(transfer);
            else if (answered)
                result.message = "receiving from origin failed after " + progress_text(transfer) + ": " + detail;
            else
                result.message = "connection to origin failed: " + detail;
            return;
        }
        case CURLE_GOT_NOTHING:
            result.message = "origin closed the connection without answering";
            return;
        case CURLE_COULDNT_RESOLVE_HOST:
        case CURLE_COULDNT_RESOLVE_PROXY:
            result.message = "cannot resolve origin host: " + detail;
            return;
        case CURLE_COULDNT_CONNECT:
            result.message = "cannot connect to origin: " + detail;
            return;
        case CURLE_SSL_CONNECT_ERROR:
        case CURLE_PEER_FAILED_VERIFICATION:
        case CURLE_SSL_CERTPROBLEM:
        case CURLE_SSL_CIPHER:
        case CURLE_SSL_CACERT_BADFILE:
        case CURLE_SSL_ISSUER_ERROR:
            result.message = "TLS with origin failed: " + detail;
            return;
        case CURLE_WEIRD_SERVER_REPLY:
            result.status = FetchStatus::origin_error;
            result.message = "origin sent an invalid response: " + detail;
            return;
        case CURLE_BAD_CONTENT_ENCODING:  // a transfer coding curl cannot undo
            result.status = FetchStatus::origin_error;
            result.message = "origin sent a body cache-tier cannot decode: " + detail;
            return;
        case CURLE_TOO_MANY_REDIRECTS:
            result.status = FetchStatus::origin_error;
            result.message = "origin redirected more than " + std::to_string(kMaxRedirects) + " times";
            return;
        case CURLE_UNSUPPORTED_PROTOCOL:
        case CURLE_URL_MALFORMAT:
            result.status = FetchStatus::origin_error;
            // curl says "unsupported protocol" for an answer that is not HTTP/1.x at all.
            result.message = (detail.find("HTTP/0.9") != std::string::npos ? "origin sent an invalid response: "
                                                                             : "bad origin URL: ") +
                             detail;
            return;
        default:
            result.message = "origin transfer failed: " + detail;
            return;
    }
}

// What the status of a complete answer means (FetchStatus docs in origin.hpp).
void describe_status(const Transfer& transfer, const TransferRequest& request, const FetchRequest& req,
                     FetchResult& result) {
    const ResponseHead& response = transfer.response.head;
    std::string answer = status_text(response);
    std::string code = request.error_code_of ? request.error_code_of(transfer.error_body) : std::string();
    std::string detail = code.empty() ? answer : answer + ": " + code;
    if (!response.success()) {
        result.answer = answer;
        result.origin_code = code;
    }

    if (response.success()) {
        if (transfer.response.content_length && transfer.bytes != *transfer.response.content_length) {
            result.status = FetchStatus::short_body;
            result.message = "origin sent only " + progress_text(transfer);
            return;
        }
        // RFC 9112 §6.3: the body is Content-Length bytes, but this origin sent
        // more with them: its length is not the file's.
        if (transfer.excess) {
            result.status = FetchStatus::origin_error;
            result.message = "origin sent more bytes than its Content-Length of " + std::to_string(transfer.bytes) +
                             ": the length is not the file's";
            return;
        }
        result.status = FetchStatus::ok;
        result.etag = response.etag;
        result.last_modified = response.last_modified;
        return;
    }
    switch (response.status) {
        case 304:
            // RFC 9110 §15.4.5: a 304 repeats the validators; keep ours if it does not.
            result.status = FetchStatus::not_modified;
            result.etag = response.etag.empty() ? req.validators.etag : response.etag;
            result.last_modified =
                response.last_modified.empty() ? req.validators.last_modified : response.last_modified;
            result.message = "origin answered 304 Not Modified";
            return;
        case 404:
        case 410:
            result.status = FetchStatus::not_found;
            result.message = "origin answered " + detail;
            return;
        case 401:
        case 403:
            if (response.status == 403 && request.forbidden_means_missing) {
                result.status = FetchStatus::not_found;
                result.message = "origin answered " + detail + " (as public buckets do for missing keys)";
            } else {
                result.status = FetchStatus::refused;
                const char* who =
                    request.aws_sigv4.empty() ? "origin refused access (" : "signature refused by origin (";
                result.message = who + detail + ")";
            }
            return;
        default:
            result.status = FetchStatus::origin_error;
            result.message = "origin answered " + detail;
            return;
    }
}

FetchResult classify(CURLcode code, CURL* curl, const Transfer& transfer, const OriginOptions& opts,
                     const TransferRequest& request, const FetchRequest& req, const char* error_buffer) {
    FetchResult result;
    result.http_status = static_cast<int>(transfer.response.head.status);
    result.bytes = transfer.bytes;
    switch (transfer.abort) {
        case Abort::not_the_file:
            result.status = FetchStatus::origin_error;
            result.message = transfer.not_the_file;
            return result;
        case Abort::cancelled:
            result.status = FetchStatus::local_error;
            result.message = kFetchCancelled;
            return result;
        case Abort::observer_refused:
            result.status = FetchStatus::local_error;
            result.message = transfer.not_the_file;
            return result;
        case Abort::announced_too_large:
            result.status = FetchStatus::too_large;
            result.message = "origin file is " + std::to_string(*transfer.response.content_length) +
                             " bytes, over the limit of " + std::to_string(req.max_size);
            return result;
        case Abort::received_too_large:
            result.status = FetchStatus::too_large;
            result.message = "origin sent more than the limit of " + std::to_string(req.max_size) + " bytes";
            return result;
        case Abort::write_failed:
            result.status = FetchStatus::local_error;
            result.message = std::string("writing the temporary file failed: ") + std::strerror(transfer.write_errno);
            return result;
        case Abort::error_body_full:  // the status line said all there is to say
        case Abort::none:
            break;
    }
    const bool complete_answer = code == CURLE_OK || transfer.abort == Abort::error_body_full;
    // A non-2xx answer whose body broke off is still that answer; redirect
    // trouble and everything before or inside a 2xx body is the transport's.
    const bool transport_decides = !complete_answer && (transfer.response.success() ||
                                                        transfer.response.head.status == 0 ||
                                                        code == CURLE_TOO_MANY_REDIRECTS ||
                                                        code == CURLE_UNSUPPORTED_PROTOCOL);
    if (transport_decides)
        describe_transport_failure(code, curl, transfer, opts, error_buffer, result);
    else
        describe_status(transfer, request, req, result);
    return result;
}

}  // namespace

void ensure_curl_initialized() {
    static std::once_flag once;
    std::call_once(once, [] {
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) throw std::runtime_error("curl_global_init failed");
    });
}

FetchResult run_transfer(const OriginOptions& opts, const TransferRequest& transfer, const FetchRequest& req,
                         int out_fd) {
    try {
        CURL* curl = thread_handle();
        Transfer state(out_fd, req);
        state.curl = curl;
        char error_buffer[CURL_ERROR_SIZE] = "";
        HeaderList headers = request_headers(transfer, req.validators);
        FetchResult result;
        try {
            configure(curl, opts, transfer, headers.get(), state, error_buffer);
            CURLcode code = curl_easy_perform(curl);
            result = classify(code, curl, state, opts, transfer, req, error_buffer);
        } catch (...) {
            curl_easy_reset(curl);
            throw;
        }
        // Drop the pointers into this frame; the handle keeps its connections.
        curl_easy_reset(curl);
        return result;
    } catch (const std::exception& e) {
        FetchResult result;
        result.status = FetchStatus::local_error;
        result.message = std::string("fetch failed: ") + e.what();
        return result;
    }
}

}  // namespace cache_tier::origins::detail
