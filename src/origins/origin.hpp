#pragma once
// An origin is where files come from: an HTTP(S) base URL, a private S3
// bucket, or a local directory. The fill engine does not know which.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.hpp"

namespace cache_tier::origins {

// What cache-tier knows of a cached copy, sent back as If-None-Match /
// If-Modified-Since when it revalidates.
struct Validators {
    std::string etag;           // as the origin sent it, quotes included
    std::string last_modified;  // as the origin sent it
    bool empty() const { return etag.empty() && last_modified.empty(); }
};

// What a fetch has learnt once the origin's head says its body is the whole file.
struct FileHead {
    std::optional<std::uint64_t> length;  // Content-Length; none: the body's end will tell
    std::string etag;                     // as the origin sent them
    std::string last_modified;
};

// Told of a fetch as it goes, on the fetching thread: the fill engine serves a
// file while it fills, and could reserve its size, from these calls.
class FetchObserver {
public:
    virtual ~FetchObserver() = default;
    // The body about to be written is the whole file described by `head`.
    // An Error stops the fetch before any of the body (local_error, its message).
    virtual Status on_head(const FileHead& head) = 0;
    // The first `total` bytes of the body are in the output file. An Error
    // stops the fetch before any more is written (local_error, its message):
    // the fill engine reserves room in the cache as a file of unknown length grows.
    virtual Status on_written(std::uint64_t total) = 0;
};

struct FetchRequest {
    std::string key;          // decoded origin name, case as the client gave it, may contain '/'
    Validators validators;    // empty: unconditional GET
    std::uint64_t max_size = 0;  // 0: no limit; larger bodies are refused (FetchStatus::too_large)
    // When set and it turns true, the fetch gives up within about a second,
    // even while the origin sends nothing: FetchStatus::local_error, kFetchCancelled.
    const std::atomic<bool>* cancelled = nullptr;
    // The same, set when the file is purged while it is fetched: its bytes would be thrown away.
    const std::atomic<bool>* purged = nullptr;
    FetchObserver* observer = nullptr;  // optional

    bool is_cancelled() const {
        return (cancelled && cancelled->load(std::memory_order_relaxed)) ||
               (purged && purged->load(std::memory_order_relaxed));
    }
};

inline constexpr std::string_view kFetchCancelled = "fetch cancelled";

enum class FetchStatus {
    ok,                // the whole, unencoded file written, its length checked against Content-Length
    not_modified,      // 304: the cached copy is still good; nothing written
    not_found,         // 404 (or 403 from a public bucket for a missing key; see message)
    refused,           // 401/403: credentials or signature refused
    too_large,         // over max_size (by Content-Length or by bytes received)
    origin_error,      // any other answer that is not the file: a status other than 200 (5xx, 206, 204...),
                       // Content-Range or Content-Encoding on a 200, invalid framing
    timeout,           // connect or transfer timed out
    connection_error,  // refused, reset, DNS, TLS
    short_body,        // fewer bytes than Content-Length
    local_error,       // writing the temporary file failed, or the fetch was cancelled
};

struct FetchResult {
    FetchStatus status = FetchStatus::local_error;
    int http_status = 0;          // 0 when no response arrived
    std::uint64_t bytes = 0;      // body bytes written to the sink
    std::string etag;             // validators of the new copy (ok) or confirmed (not_modified)
    std::string last_modified;
    std::string message;          // one line for logs and the verify API's error_msg
    // The origin's answer as data, for whoever words its own message:
    std::string answer;           // status and reason phrase ("404 Not Found"); "" when no response arrived
    std::string origin_code;      // the origin's own reason, where it gave one (S3's <Code>: "NoSuchKey")
};

struct OriginOptions {
    std::string url;  // http://, https://, s3://bucket/prefix, file:///dir
    std::chrono::milliseconds connect_timeout{5000};
    // A transfer slower than low_speed_bytes per second for low_speed_time is aborted.
    std::chrono::milliseconds low_speed_time{30000};
    long low_speed_bytes = 1024;
    std::chrono::milliseconds total_timeout{0};  // 0: none (large files take long)
    std::string user_agent = "cache-tier";
    // S3 (s3:// origins). Empty fields fall back to the AWS_* environment variables.
    std::string s3_access_key;
    std::string s3_secret_key;
    std::string s3_session_token;
    std::string s3_region;
    std::string s3_endpoint;  // custom endpoint => path-style addressing
    std::chrono::seconds presign_expiry{3600};  // lifetime of redirect URLs to a private bucket
};

class Origin {
public:
    virtual ~Origin() = default;
    // Fetch `req.key` into `out_fd` (an empty temporary file opened for writing).
    // Blocking; called on fill worker threads only. Must not throw.
    virtual FetchResult fetch(const FetchRequest& req, int out_fd) = 0;
    // The URL a browser can be redirected to for `key` (presigned for a private bucket).
    virtual std::string public_url(std::string_view key) const = 0;
    // For logs: the origin with any credentials left out.
    virtual std::string describe() const = 0;
};

// Build the origin for `opts.url`; throws std::invalid_argument with a one-line
// message saying what is wrong (unknown scheme, missing bucket, missing credentials).
std::unique_ptr<Origin> make_origin(const OriginOptions& opts);

std::string_view to_string(FetchStatus status);

}  // namespace cache_tier::origins
