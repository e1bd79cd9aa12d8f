#include "client/http_get.hpp"

#include <curl/curl.h>

#include <cstddef>

#include "client/curl_handle.hpp"

namespace cache_tier::client {

namespace {

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

// The calling thread's easy handle. Its open connections outlive each
// request; its options are set again for each (curl_easy_reset keeps the
// connections), since Clients of one thread may trust different CA files.
class ThreadHandle {
public:
    ThreadHandle() {
        init_libcurl_once();
        handle_ = curl_easy_init();
    }
    ~ThreadHandle() {
        if (handle_) curl_easy_cleanup(handle_);
    }
    ThreadHandle(const ThreadHandle&) = delete;
    ThreadHandle& operator=(const ThreadHandle&) = delete;

    // The handle set up for one request with `settings`; null if libcurl failed.
    CURL* prepare(const HandleSettings& settings) {
        if (!handle_) return nullptr;
        curl_easy_reset(handle_);
        configure_handle(handle_, settings);
        curl_easy_setopt(handle_, CURLOPT_MAXCONNECTS, 16L);
        curl_easy_setopt(handle_, CURLOPT_WRITEFUNCTION, append_body);
        error_[0] = '\0';
        curl_easy_setopt(handle_, CURLOPT_ERRORBUFFER, error_);
        return handle_;
    }
    const char* error_text() const { return error_; }

private:
    CURL* handle_ = nullptr;
    char error_[CURL_ERROR_SIZE] = {};
};

}  // namespace

HttpResult http_get(const std::string& url, std::chrono::milliseconds timeout, const std::string& ca_file) {
    thread_local ThreadHandle thread_handle;
    HttpResult result;
    CURL* curl = thread_handle.prepare(HandleSettings{"cache-tier-client", ca_file});
    if (!curl) {
        result.failure = "libcurl could not create a handle";
        return result;
    }
    Body body;
    const long timeout_ms = timeout.count() > 0 ? static_cast<long>(timeout.count()) : 1L;
    curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);

    const CURLcode rc = curl_easy_perform(curl);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, nullptr);  // `body` dies here
    if (rc != CURLE_OK) {
        if (body.too_large)
            result.failure = "answer larger than " + std::to_string(max_answer_bytes) + " bytes";
        else
            result.failure = describe_failure(rc, thread_handle.error_text());
        return result;
    }
    result.responded = true;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &result.status);
    result.body = std::move(body.text);
    return result;
}

}  // namespace cache_tier::client
