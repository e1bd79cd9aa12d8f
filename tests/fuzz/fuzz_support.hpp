#pragma once
// What the fuzz targets share: a property that does not hold is a crash, with
// a message saying which, so libFuzzer keeps the input that broke it.
#include <stdlib.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>

#define FUZZ_CHECK(condition)                                                                    \
    do {                                                                                         \
        if (!(condition)) ::cache_tier::fuzz::property_failed(#condition, __FILE__, __LINE__);   \
    } while (false)

namespace cache_tier::fuzz {

[[noreturn]] inline void property_failed(const char* what, const char* file, int line) {
    std::fprintf(stderr, "%s:%d: property does not hold: %s\n", file, line, what);
    std::abort();
}

inline std::string_view as_text(const unsigned char* data, std::size_t size) {
    return {reinterpret_cast<const char*>(data), size};
}

// A private folder for the files a target needs, removed when the process
// exits normally (a crash leaves it for the post-mortem).
class TempDir {
public:
    TempDir() {
        const char* base = std::getenv("TMPDIR");
        std::string pattern = std::string(base && *base ? base : "/tmp") + "/cache-tier-fuzz.XXXXXX";
        if (!::mkdtemp(pattern.data())) property_failed("mkdtemp succeeds", __FILE__, __LINE__);
        path_ = pattern;
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::filesystem::path& path() const { return path_; }

private:
    std::filesystem::path path_;
};

}  // namespace cache_tier::fuzz
