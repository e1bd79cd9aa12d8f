// The body of POST /admin/warm (docs/admin-api.md) through
// routes::parse_warm_names, and the client's batching back into bodies.
//
// Properties: never throws; a body it accepts has at most kMaxWarmNames
// names; the bodies warm_batches makes of those names parse back to the same
// names, in order, each within the server's limits.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "fuzz_support.hpp"
#include "routes/admin_parse.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace cache_tier;
    const auto names = routes::parse_warm_names(fuzz::as_text(data, size));
    if (!names) return 0;
    FUZZ_CHECK(names->size() <= routes::kMaxWarmNames);
    const routes::WarmBatches batches = routes::warm_batches(*names);
    std::vector<std::string> again;
    for (const std::string& body : batches.bodies) {
        FUZZ_CHECK(body.size() <= routes::kMaxWarmBody);
        const auto parsed = routes::parse_warm_names(body);
        FUZZ_CHECK(parsed.ok());
        again.insert(again.end(), parsed->begin(), parsed->end());
    }
    std::vector<std::string> expected;
    for (const std::string& name : *names) {
        bool set_aside = false;
        for (const auto& u : batches.unsendable) set_aside = set_aside || u.name == name;
        if (!set_aside) expected.push_back(name);
    }
    FUZZ_CHECK(again == expected);
    return 0;
}
