#pragma once
// Client of a cache-tier server (or a cluster of them) for a web site that
// decides, per request, whether to send a user to the cache tier or to the
// origin:
//
//     cache_tier::ClientOptions options;
//     options.local_cache_time = std::chrono::seconds(20);
//     cache_tier::Client cache("http://downloads.example.com/", options);
//     if (cache.verify_file("some_big_file.mp3"))
//         redirect_to(cache.build_download_url("some_big_file.mp3"));
//     else
//         serve_from_origin();
//
// The status of each file is remembered in a cache shared by every Client of
// the process, so making a new Client per request is cheap. A Client is safe
// to use from many threads at once.
#include <chrono>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace cache_tier {

// Thrown for bad input from the caller (a blank file name, a malformed base
// URL), never for a server that is down or misbehaving.
class CacheError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct ClientOptions {
    // Time allowed for one request to one server (connect + answer).
    std::chrono::milliseconds request_timeout{1000};
    // Reuse a server's answer about a file for local_cache_time before asking again.
    bool enable_local_cache = true;
    std::chrono::milliseconds local_cache_time{120'000};
    // One line per decision on stderr.
    bool log_enabled = false;
    // A server that did not answer is not asked again for this long; its files
    // go to the next server of the cluster (or verify as unavailable).
    std::chrono::milliseconds down_node_time{30'000};
    // Where "now" comes from for local_cache_time and down_node_time: the
    // steady clock when empty. Tests give a clock they move by hand.
    std::function<std::chrono::steady_clock::time_point()> clock{};
    // https:// servers: their certificates are always verified (chain and host
    // name), against the system's trust store and, when not empty, the CA
    // certificates in this PEM file (a private CA). A certificate that does
    // not verify makes the server count as not answering; log_enabled says why.
    std::string ca_file{};

    // Signed links (docs/signed-links.md), for servers run with
    // url_signing_secret_file: when url_signing_secret is not empty,
    // build_download_url returns a link straight to the file,
    // "<base><static_prefix><name>?expires=...&signature=...", valid for
    // url_signing_ttl. The secret is the server's file's content without its
    // trailing newline, 16 bytes or more; static_prefix must be the server's.
    std::string url_signing_secret{};
    std::chrono::seconds url_signing_ttl{3600};
    std::string static_prefix{"/static/files_cache/"};
    // Where the wall-clock time of a link's expiry comes from: the system
    // clock when empty. Tests give a clock they set by hand.
    std::function<std::chrono::system_clock::time_point()> wall_clock{};
};

class Client {
public:
    // `base_url`: "http://host[:port][/prefix]", with or without a trailing '/'.
    explicit Client(std::string base_url, ClientOptions options = {});
    // Several servers: each file is asked of one of them, chosen by rendezvous
    // hashing of the file name, and of the next one when that one is down.
    explicit Client(std::vector<std::string> base_urls, ClientOptions options = {});

    // True only when the server answered that the file is cached (available=true).
    // Uses the remembered answer while it is fresh. A server that is down, slow
    // past the timeout or answers garbage gives false; this never throws for that.
    // `name` may contain '/' (S3 keys); surrounding whitespace is ignored.
    bool verify_file(std::string_view name);
    // "<base>/download/<name>" on the server that holds the file; with a
    // url_signing_secret, a signed link to the file on that server instead.
    std::string build_download_url(std::string_view name) const;
    // True when verify_file would ask the server (no fresh answer remembered,
    // or the local cache is disabled).
    bool is_stale(std::string_view name) const;
    // Ask the server now, whatever the local cache says, and remember the answer.
    bool refresh_status_from_server(std::string_view name);

    const ClientOptions& options() const;
    // The servers, normalised (no trailing '/').
    const std::vector<std::string>& base_urls() const;

private:
    // Immutable after construction, so copies share it and threads need no lock.
    struct State;
    std::shared_ptr<const State> state_;
};

}  // namespace cache_tier
