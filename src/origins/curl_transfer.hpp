#pragma once
// One GET over libcurl, streamed into a file descriptor, with every way it
// can end mapped to a FetchResult. The HTTP and S3 origins differ only in the
// URL, the headers and the signing they put into a TransferRequest.
#include <string>
#include <string_view>
#include <vector>

#include "origins/origin.hpp"

namespace cache_tier::origins::detail {

struct TransferRequest {
    std::string url;
    std::vector<std::string> headers;  // extra request headers, "Name: value"
    // AWS SigV4 signing by libcurl ("aws:amz:REGION:s3"); empty: the request is not signed.
    std::string aws_sigv4;
    std::string username;  // with aws_sigv4: the access key id
    std::string password;  // with aws_sigv4: the secret key
    bool follow_redirects = true;
    // Public S3 buckets answer 403, not 404, for a missing key when listing is
    // not allowed: treat 403 as "not there" rather than "credentials refused".
    bool forbidden_means_missing = false;
    // The origin's own reason in the start of an error body, if it gives one
    // (S3's <Code>); none when empty. The kind of origin knows its bodies.
    std::string (*error_code_of)(std::string_view body) = nullptr;
};

// libcurl's global state is set up once, before any thread makes a handle.
void ensure_curl_initialized();

// GET `transfer.url` (with the conditional headers of `req.validators`) into
// `out_fd`. Blocking; never throws. Each thread reuses one curl handle, so
// connections to the origin stay open between fetches.
FetchResult run_transfer(const OriginOptions& opts, const TransferRequest& transfer, const FetchRequest& req,
                         int out_fd);

}  // namespace cache_tier::origins::detail
