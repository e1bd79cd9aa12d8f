// Error bodies from S3 (and from public buckets behind an http(s) base), as the
// origin reads their <Code> for the fill's error message: origins::detail::s3_error_code.
//
// Properties: the code is at most 64 bytes and is exactly what the body holds
// between the first "<Code>" and the "</Code>" after it.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_support.hpp"
#include "origins/origin_factories.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view body = cache_tier::fuzz::as_text(data, size);
    const std::string code = cache_tier::origins::detail::s3_error_code(body);
    FUZZ_CHECK(code.size() <= 64);
    if (code.empty()) return 0;
    const auto start = body.find("<Code>");
    FUZZ_CHECK(start != std::string_view::npos);
    FUZZ_CHECK(body.substr(start + 6, code.size()) == code);
    FUZZ_CHECK(body.substr(start + 6 + code.size()).starts_with("</Code>"));
    return 0;
}
