#pragma once
// Shared by the fill integration tests (fill_*_test.cpp): asking the real
// binary's /verify, waiting for a fill, and looking into the cache directory.
#include <csignal>
#include <filesystem>
#include <functional>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

#include "support/http_client.hpp"
#include "support/fake_origin.hpp"
#include "support/process.hpp"
#include "support/serve_helpers.hpp"

namespace fill_it {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// GET /verify/<encoded name>; a null JSON value if there was no well-formed answer.
inline nlohmann::json verify(int port, const std::string& encoded_name) {
    auto response = ct_test::http_get(port, "/verify/" + encoded_name);
    if (!response || response->status != 200) return nullptr;
    EXPECT_EQ(response->header("Content-Type"), "application/json");
    auto json = nlohmann::json::parse(response->body, nullptr, false);
    return json.is_discarded() ? nlohmann::json() : json;
}

// Ask until the answer's "state" is `state` (the asking itself starts fills).
inline bool eventually_state(int port, const std::string& encoded_name, const std::string& state,
                             std::chrono::milliseconds timeout = 30s) {
    return ct_test::eventually(
        [&] {
            auto json = verify(port, encoded_name);
            return json.is_object() && json.value("state", "") == state;
        },
        timeout, 100ms);
}

// Entries of the cache directory's temporary folder (unfinished fills).
inline std::vector<fs::path> temp_files(const fs::path& cache_dir) {
    std::vector<fs::path> found;
    std::error_code ec;
    for (fs::directory_iterator it(cache_dir / ".cache-tier/tmp", ec), end; !ec && it != end; it.increment(ec))
        found.push_back(it->path());
    return found;
}

// Until a fill has written its first bytes into the temporary folder.
inline bool fill_under_way(const fs::path& cache_dir, std::chrono::milliseconds timeout = 10s) {
    return ct_test::eventually(
        [&] {
            auto temps = temp_files(cache_dir);
            std::error_code ec;
            return !temps.empty() && fs::file_size(temps.front(), ec) > 0;
        },
        timeout);
}

// nginx started as root serves as user nobody: a 0700 mkdtemp folder must be opened up.
inline const fs::path& world_readable(const fs::path& dir) {
    fs::permissions(dir, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                             fs::perms::others_read | fs::perms::others_exec);
    return dir;
}

// The server's output, to explain a failure.
inline std::string server_log(ct_test::CacheTierServer& server) {
    return server.process().stdout_text() + server.process().stderr_text();
}

// Change every metadata record of the cache with `edit`.
inline void edit_records(const fs::path& cache_dir, const std::function<void(nlohmann::json&)>& edit) {
    for (const auto& entry : fs::recursive_directory_iterator(cache_dir / ".cache-tier/meta")) {
        if (!entry.is_regular_file()) continue;
        auto record = nlohmann::json::parse(ct_test::read_file(entry.path()));
        edit(record);
        ct_test::write_file(entry.path(), record.dump());
    }
}

// Age every metadata record, as if the copies had been fetched a day ago.
inline void age_records(const fs::path& cache_dir) {
    edit_records(cache_dir, [](nlohmann::json& record) {
        record["fetched_at"] = record["fetched_at"].get<std::int64_t>() - 86400;
    });
}

using ct_test::FakeOrigin;

}  // namespace fill_it
