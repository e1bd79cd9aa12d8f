#pragma once
// The libcurl settings every request to a cache-tier server carries, for the
// client library and for the command line's admin calls alike.
#include <curl/curl.h>

#include <string>

namespace cache_tier::client {

// Runs curl_global_init once per process (it is not safe to race).
void init_libcurl_once();

// What a request to a cache-tier server may vary.
struct HandleSettings {
    const char* user_agent = "cache-tier-client";
    // PEM file of the CA certificates that sign the servers' certificates, in
    // addition to the system's trust store; empty: the system's store only.
    std::string ca_file;
};

// Sets `handle` up for a request to a cache-tier server: no signals, no
// redirects, the path sent as written, http and https only, and for https the
// peer's certificate and host name verified (never switched off).
void configure_handle(CURL* handle, const HandleSettings& settings);

// Why a transfer failed, from its code and the handle's error buffer: a
// certificate that did not verify is said so, with libcurl's reason.
std::string describe_failure(CURLcode code, const char* error_buffer);

// Throws CacheError unless `ca_file` is empty or a readable regular file: a
// typo in the path would otherwise fail every request later, one by one.
void check_ca_file(const std::string& ca_file);

}  // namespace cache_tier::client
