// Conditional request headers (RFC 9110 §13) against a file's validators,
// through http::evaluate_preconditions, if_range_matches and etag_list_matches.
//
// Properties: a strong match is also a weak one (§8.8.3.2); the outcome follows
// §13.2.2's order (a failed If-Match is 412 whatever else is sent; with no
// If-Match or If-Unmodified-Since, If-None-Match decides alone); the file's own
// ETag and Last-Modified always satisfy If-Range.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz_support.hpp"
#include "http/conditional.hpp"
#include "http/http_date.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace cache_tier;
    FuzzedDataProvider input(data, size);
    const auto mtime = input.ConsumeIntegral<std::int64_t>();
    const std::string etag = http::strong_etag(mtime, input.ConsumeIntegral<std::uint64_t>());
    const std::string if_match = input.ConsumeRandomLengthString(256);
    const std::string if_none_match = input.ConsumeRandomLengthString(256);
    const std::string if_modified_since = input.ConsumeRandomLengthString(64);
    const std::string if_unmodified_since = input.ConsumeRandomLengthString(64);
    const std::string if_range = input.ConsumeRemainingBytesAsString();

    http::Request req;
    req.method = input.ConsumeBool() ? http::Method::get : http::Method::other;
    req.if_match = if_match;
    req.if_none_match = if_none_match;
    req.if_modified_since = if_modified_since;
    req.if_unmodified_since = if_unmodified_since;
    req.if_range = if_range;
    const http::Precondition result = http::evaluate_preconditions(req, etag, mtime);

    for (const std::string* list : {&if_match, &if_none_match}) {
        if (http::etag_list_matches(*list, etag, /*weak=*/false))
            FUZZ_CHECK(http::etag_list_matches(*list, etag, /*weak=*/true));
    }
    if (!if_match.empty() && !http::etag_list_matches(if_match, etag, false))
        FUZZ_CHECK(result == http::Precondition::precondition_failed);
    if (if_match.empty() && if_unmodified_since.empty() && !if_none_match.empty()) {
        const bool match = http::etag_list_matches(if_none_match, etag, true);
        const auto on_match = req.method == http::Method::get ? http::Precondition::not_modified
                                                              : http::Precondition::precondition_failed;
        FUZZ_CHECK(result == (match ? on_match : http::Precondition::proceed));
    }
    if (result == http::Precondition::not_modified) FUZZ_CHECK(req.method == http::Method::get);

    http::if_range_matches(if_range, etag, mtime);
    FUZZ_CHECK(http::if_range_matches(etag, etag, mtime));
    FUZZ_CHECK(http::if_range_matches("", etag, mtime));
    // Last-Modified is a whole IMF-fixdate of the file's time, within years 0000-9999.
    if (mtime >= -62167219200 && mtime <= 253402300799)
        FUZZ_CHECK(http::if_range_matches(http::format_http_date(mtime), etag, mtime));
    return 0;
}
