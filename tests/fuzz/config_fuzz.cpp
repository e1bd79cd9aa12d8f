// The operator's config file, through app::load_config_file: written to a
// file (the function reads one) and loaded into the defaults.
//
// Properties: a bad file is refused with a ConfigError and nothing else (no
// other exception escapes, so `cache-tier serve` can print one line saying
// what is wrong); a file that loads sets a port in range and a listen host
// with no control character or space.
#include <cstddef>
#include <cstdint>
#include <fstream>

#include "app/config.hpp"
#include "fuzz_support.hpp"
#include "http/response.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace cache_tier;
    static fuzz::TempDir dir;
    const auto file = dir.path() / "cache-tier.json";
    {
        std::ofstream out(file, std::ios::binary | std::ios::trunc);
        out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
    }
    app::Config cfg;
    try {
        app::load_config_file(file, cfg);
    } catch (const app::ConfigError& e) {
        FUZZ_CHECK(std::string_view(e.what()).starts_with("config "));
        return 0;
    }
    FUZZ_CHECK(!http::has_control_characters(cfg.server.host));
    FUZZ_CHECK(cfg.server.host.find(' ') == std::string::npos);
    return 0;
}
