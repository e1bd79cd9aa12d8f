// Cache names as they arrive in URLs (after /verify/, /download/ or the static
// prefix), through store::normalize_name.
//
// Properties of every accepted name: it is a relative path of plain segments
// (no "", "." or ".." segment, no leading '/'), with no NUL, control character
// or backslash; `local` is `origin` lower-cased in ASCII; and normalising is
// idempotent: the name encoded again (encode_path) normalises to itself.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_support.hpp"
#include "store/name.hpp"

namespace {

using namespace cache_tier;

void check_plain_path(std::string_view name) {
    FUZZ_CHECK(!name.empty());
    FUZZ_CHECK(name.front() != '/');
    for (char c : name) {
        const auto byte = static_cast<unsigned char>(c);
        FUZZ_CHECK(byte >= 0x20 && byte != 0x7f && c != '\\');
    }
    std::string_view rest = name;
    while (true) {
        const auto slash = rest.find('/');
        const std::string_view segment = rest.substr(0, slash);
        FUZZ_CHECK(!segment.empty() && segment != "." && segment != "..");
        if (slash == std::string_view::npos) break;
        rest.remove_prefix(slash + 1);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    store::Name name;
    if (store::normalize_name(fuzz::as_text(data, size), name) != store::NameError::none) {
        FUZZ_CHECK(name.local.empty() && name.origin.empty());
        return 0;
    }
    check_plain_path(name.origin);
    FUZZ_CHECK(name.local.size() == name.origin.size());
    for (std::size_t i = 0; i < name.origin.size(); ++i) {
        const char c = name.origin[i];
        FUZZ_CHECK(name.local[i] == (c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c));
    }

    store::Name again;
    FUZZ_CHECK(store::normalize_name(store::encode_path(name.origin), again) == store::NameError::none);
    FUZZ_CHECK(again.origin == name.origin && again.local == name.local);
    return 0;
}
