#include "app/admin_http.hpp"

#include <curl/curl.h>

#include <memory>

#include "client/curl_handle.hpp"

namespace cache_tier::app {

namespace {

// A listing page is at most 1000 files: far below this.
constexpr std::size_t kMaxReply = 16 << 20;

std::size_t append(char* data, std::size_t size, std::size_t count, void* user) {
    auto* body = static_cast<std::string*>(user);
    if (body->size() + size * count > kMaxReply) return 0;  // aborts the transfer
    body->append(data, size * count);
    return size * count;
}

}  // namespace

AdminReply admin_call(const std::string& method, const std::string& url, const std::string& token,
                      const std::string& json_body, std::chrono::milliseconds timeout, const std::string& ca_file) {
    client::init_libcurl_once();
    AdminReply reply;
    std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), curl_easy_cleanup);
    if (!curl) {
        reply.failure = "libcurl could not create a handle";
        return reply;
    }
    CURL* h = curl.get();
    char error[CURL_ERROR_SIZE] = {};
    curl_slist* headers = nullptr;
    const std::string authorization = "Authorization: Bearer " + token;
    headers = curl_slist_append(headers, authorization.c_str());
    if (!json_body.empty()) headers = curl_slist_append(headers, "Content-Type: application/json");
    std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> header_list(headers, curl_slist_free_all);

    curl_easy_setopt(h, CURLOPT_URL, url.c_str());
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method.c_str());
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    if (method == "POST") {
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, json_body.c_str());
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(json_body.size()));
    }
    client::configure_handle(h, client::HandleSettings{"cache-tier-admin", ca_file});
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, append);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &reply.body);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error);
    const CURLcode rc = curl_easy_perform(h);
    if (rc != CURLE_OK) {
        reply.failure = client::describe_failure(rc, error);
        return reply;
    }
    reply.responded = true;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &reply.status);
    return reply;
}

}  // namespace cache_tier::app
