#include "client/curl_handle.hpp"

#include <fcntl.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include "cache_tier/client.hpp"
#include "common/unique_fd.hpp"

namespace cache_tier::client {

void init_libcurl_once() {
    // curl_global_init is reference counted but not safe to race; a function
    // static runs it exactly once. Never cleaned up: other threads (or other
    // libraries of the process) may still use libcurl at exit.
    static const CURLcode rc = curl_global_init(CURL_GLOBAL_DEFAULT);
    (void)rc;
}

void configure_handle(CURL* handle, const HandleSettings& settings) {
    curl_easy_setopt(handle, CURLOPT_NOSIGNAL, 1L);  // timeouts without SIGALRM: safe in threads
    curl_easy_setopt(handle, CURLOPT_FOLLOWLOCATION, 0L);
    // Send the name as encoded; a server must see (and refuse) "..", not a path libcurl tidied up.
    curl_easy_setopt(handle, CURLOPT_PATH_AS_IS, 1L);
#if LIBCURL_VERSION_NUM >= 0x075500
    curl_easy_setopt(handle, CURLOPT_PROTOCOLS_STR, "http,https");
#else
    curl_easy_setopt(handle, CURLOPT_PROTOCOLS, CURLPROTO_HTTP | CURLPROTO_HTTPS);
#endif
    curl_easy_setopt(handle, CURLOPT_USERAGENT, settings.user_agent);
    // libcurl's defaults, set anyway: a verify answer from a server that is
    // not the one named would send users wherever an attacker likes.
    curl_easy_setopt(handle, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(handle, CURLOPT_SSL_VERIFYHOST, 2L);
    // libcurl copies the string. Left unset, the built-in trust store is used.
    if (!settings.ca_file.empty()) curl_easy_setopt(handle, CURLOPT_CAINFO, settings.ca_file.c_str());
}

std::string describe_failure(CURLcode code, const char* error_buffer) {
    std::string reason = error_buffer && error_buffer[0] ? error_buffer : curl_easy_strerror(code);
    // CURLE_PEER_FAILED_VERIFICATION (and CURLE_SSL_CACERT, the same code
    // since libcurl 7.62): an unknown CA, an expired certificate, another host name.
    if (code == CURLE_PEER_FAILED_VERIFICATION) return "TLS certificate not verified: " + reason;
    if (code == CURLE_SSL_CACERT_BADFILE) return "CA file not usable: " + reason;
    return reason;
}

void check_ca_file(const std::string& ca_file) {
    if (ca_file.empty()) return;
    const UniqueFd fd(::open(ca_file.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) throw CacheError("CA file '" + ca_file + "': " + std::strerror(errno));
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) throw CacheError("CA file '" + ca_file + "': not a regular file");
}

}  // namespace cache_tier::client
