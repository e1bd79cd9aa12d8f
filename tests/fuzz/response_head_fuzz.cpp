// An origin's response head, line by line as libcurl hands it over, through
// origins::detail::parse_status_line, add_field, whole_file_length and
// may_store: what decides whether the body may be kept as the whole file.
//
// Properties: a head accepted as the whole file is a 200 with no Content-Range
// and no content coding; the length it announces is what every Content-Length
// element says, and comes with no Transfer-Encoding (RFC 9112 §6.3).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_support.hpp"
#include "origins/response_head.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace cache_tier::origins::detail;
    std::string_view text = cache_tier::fuzz::as_text(data, size);
    auto next_line = [&text] {
        const auto end = text.find('\n');
        const std::string_view line = text.substr(0, end == std::string_view::npos ? text.size() : end + 1);
        text.remove_prefix(line.size());
        return line;
    };
    ResponseHead head = parse_status_line(next_line());
    while (!text.empty()) add_field(head, next_line());

    status_text(head);
    (void)may_store(head);
    const auto length = whole_file_length(head);
    if (!length.ok()) {
        FUZZ_CHECK(!length.error().message.empty());
        return 0;
    }
    FUZZ_CHECK(head.status == 200);
    FUZZ_CHECK(head.content_range.empty());
    if (!length.value()) {
        FUZZ_CHECK(head.content_length.empty());
        return 0;
    }
    FUZZ_CHECK(head.transfer_encoding.empty());
    const std::string announced = std::to_string(*length.value());
    for (std::string_view rest : head.content_length) {
        // Each element, without its whitespace, is the number (leading zeros allowed).
        while (!rest.empty()) {
            const auto comma = rest.find(',');
            std::string_view element = rest.substr(0, comma);
            while (!element.empty() && (element.front() == ' ' || element.front() == '\t')) element.remove_prefix(1);
            while (!element.empty() && (element.back() == ' ' || element.back() == '\t')) element.remove_suffix(1);
            while (element.size() > 1 && element.front() == '0') element.remove_prefix(1);
            if (!element.empty()) FUZZ_CHECK(element == announced);
            rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
        }
    }
    return 0;
}
