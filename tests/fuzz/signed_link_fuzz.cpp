// Signed-link parameters (docs/signed-links.md) through signing::check_link:
// any query string, path and time.
//
// Properties: a link made by link_query is accepted until its expiry and
// refused after it; a query the fuzzer wrote is accepted only when it carries
// exactly the signature link_query would have made (no forgery from bytes);
// a tampered path never accepts the same query.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <algorithm>
#include <string>
#include <string_view>

#include "fuzz_support.hpp"
#include "signing/signed_link.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace cache_tier::signing;
    FuzzedDataProvider input(data, size);
    const std::string secret = "fuzzing-secret-of-32-bytes......";
    const std::string path = signed_path("/static/files_cache/", input.ConsumeRandomLengthString(64));
    const std::int64_t now = input.ConsumeIntegralInRange<std::int64_t>(0, 4'000'000'000);
    const std::int64_t expires = input.ConsumeIntegralInRange<std::int64_t>(0, 4'000'000'000);
    const std::string query = input.ConsumeRemainingBytesAsString();

    // Whatever the bytes, an answer and a reason, never a crash.
    const LinkError got = check_link(secret, path, query, now);
    FUZZ_CHECK(!describe(got).empty());
    if (got == LinkError::none) {
        // Accepted: the query holds an expiry not past, and the very
        // signature of this path for that expiry.
        std::string expires_text, signature_text;
        for (std::size_t start = 0; start <= query.size();) {
            const std::size_t end = std::min(query.find('&', start), query.size());
            const std::string_view param(query.data() + start, end - start);
            if (param.starts_with("expires=")) expires_text = param.substr(8);
            if (param.starts_with("signature=")) signature_text = param.substr(10);
            start = end + 1;
        }
        FUZZ_CHECK(!expires_text.empty() && expires_text.size() <= 18);
        const std::int64_t signed_until = std::stoll(expires_text);
        FUZZ_CHECK(signed_until >= now);
        FUZZ_CHECK(signature_text == signature(secret, path, signed_until));
        FUZZ_CHECK(check_link(secret, path + "x", query, now) != LinkError::none);
        FUZZ_CHECK(check_link("another-secret-of-32-bytes......", path, query, now) != LinkError::none);
    }

    const std::string genuine = link_query(secret, path, expires);
    FUZZ_CHECK(check_link(secret, path, genuine, expires) == LinkError::none);
    if (expires >= now) FUZZ_CHECK(check_link(secret, path, genuine, now) == LinkError::none);
    if (expires < 4'000'000'000) FUZZ_CHECK(check_link(secret, path, genuine, expires + 1) == LinkError::expired);
    FUZZ_CHECK(check_link(secret, path + "/other", genuine, expires) == LinkError::wrong_signature);
    // Parameters we do not know are ignored, before or after ours.
    FUZZ_CHECK(check_link(secret, path, "utm_source=x&" + genuine, expires) == LinkError::none);
    return 0;
}
