#include "client/http_get.hpp"

#include <curl/curl.h>

#include <cstddef>

namespace cache_tier::client {

namespace {

void init_libcurl_once() {
    // curl_global_init is reference counted but not safe to race; a function
    // static runs it exactly once. Never cleaned up: other threads (or other
    // libraries of the process) may still use libcurl at exit.
    static const CURLcode rc = curl_global_init(CURL_GLOBAL_DEFAULT);
    (void)rc;
}

struct Body {
    std::string text;
    bool too_large = false;
};

std::size_t append_body(char* data, std::size_t size, std::size_t count, void* user) {
    auto* body = static_cast<Body*>(user);
    const std::size_t bytes = size * count;
    if (body->text.size() + bytes > max_answer_bytes) {
        body->too_large = true;
        return 0;  // makes libcurl abort the transfer (CURLE_WRITE_ERROR)
    }
    body->text.append(data, bytes);
    return bytes;
}

// The calling thread's easy handle, with the options that never change.
class ThreadHandle {
public:
    ThreadHandle() {
        init_libcurl_once();
        handle_ = curl_easy_init();
        if (!handle_) return;
        curl_easy_setopt(handle_, CURLOPT_NOSIGNAL, 1L);  // timeouts without SIGALRM: safe in threads
        curl_easy_setopt(handle_, CURLOPT_FOLLOWLOCATION, 0L);
        // Send the name as encoded; a server must see (and refuse) "..", not a path libcurl tidied up.
        curl_easy_setopt(handle_, CURLOPT_PATH_AS_IS, 1L);
#if LIBCURL_VERSION_NUM >= 0x075500
        curl_easy_setopt(handle_, CURLOPT_PROTOCOLS_STR, "http,https");
#else
        curl_easy_setopt(handle_, CURLOPT_PROTOCOLS, CURLPROTO_HTTP | CURLPROTO_HTTPS);
#endif
        curl_easy_setopt(handle_, CURLOPT_USERAGENT, "cache-tier-client");
        curl_easy_setopt(handle_, CURLOPT_MAXCONNECTS, 16L);
        curl_easy_setopt(handle_, CURLOPT_WRITEFUNCTION, append_body);
        curl_easy_setopt(handle_, CURLOPT_ERRORBUFFER, error_);
    }
    ~ThreadHandle() {
        if (handle_) curl_easy_cleanup(handle_);
    }
    ThreadHandle(const ThreadHandle&) = delete;
    ThreadHandle& operator=(const ThreadHandle&) = delete;

    CURL* get() const { return handle_; }
    const char* error_text() const { return error_; }
    void clear_error() { error_[0] = '\0'; }

private:
    CURL* handle_ = nullptr;
    char error_[CURL_ERROR_SIZE] = {};
};

}  // namespace

HttpResult http_get(const std::string& url, std::chrono::milliseconds timeout) {
    thread_local ThreadHandle thread_handle;
    HttpResult result;
    CURL* curl = thread_handle.get();
    if (!curl) {
        result.failure = "libcurl could not create a handle";
        return result;
    }
    thread_handle.clear_error();
    Body body;
    const long timeout_ms = timeout.count() > 0 ? static_cast<long>(timeout.count()) : 1L;
    curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);

    const CURLcode rc = curl_easy_perform(curl);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, nullptr);  // `body` dies here
    if (rc != CURLE_OK) {
        if (body.too_large)
            result.failure = "answer larger than " + std::to_string(max_answer_bytes) + " bytes";
        else
            result.failure = thread_handle.error_text()[0] ? thread_handle.error_text() : curl_easy_strerror(rc);
        return result;
    }
    result.responded = true;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &result.status);
    result.body = std::move(body.text);
    return result;
}

}  // namespace cache_tier::client
