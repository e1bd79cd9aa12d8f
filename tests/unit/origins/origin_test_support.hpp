#pragma once
// Shared by the origin tests: fetching into a real temporary file, and
// starting the python fakes from tests/fakes on a free port.
#include <fcntl.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "origins/origin.hpp"
#include "support/fake_origin.hpp"
#include "support/process.hpp"

namespace origin_test {

namespace fs = std::filesystem;
using cache_tier::origins::FetchRequest;
using cache_tier::origins::FetchResult;
using cache_tier::origins::FetchStatus;
using cache_tier::origins::Origin;
using cache_tier::origins::OriginOptions;
using namespace std::chrono_literals;

struct Fetched {
    FetchResult result;
    std::string body;  // what landed in the temporary file
};

// Fetch into a fresh file, as the fill engine does, and read back what was written.
inline Fetched fetch_to_file(Origin& origin, const FetchRequest& req, int extra_open_flags = 0) {
    ct_test::TempDir dir;
    fs::path path = dir / "fill.tmp";
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | extra_open_flags, 0600);
    if (fd < 0) throw std::runtime_error("cannot create " + path.string());
    Fetched fetched;
    fetched.result = origin.fetch(req, fd);
    ::close(fd);
    fetched.body = ct_test::read_file(path);
    return fetched;
}

inline Fetched fetch_to_file(Origin& origin, const std::string& key) {
    FetchRequest req;
    req.key = key;
    return fetch_to_file(origin, req);
}

// Compares file contents without printing megabytes of binary on failure.
inline ::testing::AssertionResult same_bytes(const std::string& got, const std::string& expected) {
    if (got == expected) return ::testing::AssertionSuccess();
    std::size_t at = 0;
    while (at < got.size() && at < expected.size() && got[at] == expected[at]) ++at;
    return ::testing::AssertionFailure() << "got " << got.size() << " bytes, expected " << expected.size()
                                         << ", first difference at byte " << at;
}

// Tests may run as root; nginx's workers then run as nobody and need to enter
// the (0700) temporary directories.
inline void readable_by_nginx_workers(const fs::path& dir) {
    fs::permissions(dir, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                             fs::perms::others_read | fs::perms::others_exec);
}

inline OriginOptions options_for(const std::string& url) {
    OriginOptions opts;
    opts.url = url;
    opts.connect_timeout = 2s;
    opts.low_speed_time = 5s;
    return opts;
}

using Fake = ct_test::FakeOrigin;

// Sets (or, with nullopt, unsets) environment variables for one scope.
class ScopedEnv {
public:
    explicit ScopedEnv(const std::map<std::string, std::optional<std::string>>& values) {
        for (const auto& [name, value] : values) {
            const char* old = std::getenv(name.c_str());
            saved_[name] = old ? std::optional<std::string>(old) : std::nullopt;
            apply(name, value);
        }
    }
    ~ScopedEnv() {
        for (const auto& [name, value] : saved_) apply(name, value);
    }
    ScopedEnv(const ScopedEnv&) = delete;
    ScopedEnv& operator=(const ScopedEnv&) = delete;

private:
    static void apply(const std::string& name, const std::optional<std::string>& value) {
        if (value)
            ::setenv(name.c_str(), value->c_str(), 1);
        else
            ::unsetenv(name.c_str());
    }
    std::map<std::string, std::optional<std::string>> saved_;
};

// No AWS_* variable of the developer's shell may leak into a test.
inline std::map<std::string, std::optional<std::string>> no_aws_env() {
    return {{"AWS_ACCESS_KEY_ID", std::nullopt},   {"AWS_SECRET_ACCESS_KEY", std::nullopt},
            {"AWS_SESSION_TOKEN", std::nullopt},   {"AWS_REGION", std::nullopt},
            {"AWS_DEFAULT_REGION", std::nullopt},  {"AWS_ENDPOINT_URL", std::nullopt},
            {"AWS_ENDPOINT_URL_S3", std::nullopt}};
}

}  // namespace origin_test
