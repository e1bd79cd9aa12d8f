#include "support/reliability_result.hpp"

#include <gtest/gtest.h>

#include <cctype>
#include <chrono>
#include <ctime>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>

namespace ct_test {

namespace {

std::filesystem::path results_dir() {
    if (const char* dir = std::getenv("CACHE_TIER_RESULTS_DIR"); dir && *dir) return dir;
    return CACHE_TIER_RESULTS_DEFAULT_DIR;
}

// Case names become file names: keep them to a safe alphabet.
std::string file_name(const ReliabilityResult& r) {
    std::string name = r.category + "." + r.case_name;
    for (char& c : name)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') c = '_';
    return name + ".json";
}

std::string utc_now() {
    std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

}  // namespace

std::filesystem::path write_reliability_result(const ReliabilityResult& r) {
    nlohmann::json record = {
        {"case", r.case_name}, {"category", r.category}, {"measured", r.measured},
        {"unit", r.unit},      {"target", r.target},     {"passed", r.passed},
        {"details", r.details}, {"time", utc_now()},
    };
    record["value"] = r.value ? nlohmann::json(*r.value) : nlohmann::json(nullptr);
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    record["test"] = info ? std::string(info->test_suite_name()) + "." + info->name() : "";
    std::filesystem::path dir = results_dir();
    std::filesystem::create_directories(dir);
    std::filesystem::path path = dir / file_name(r);
    std::filesystem::path tmp = path;
    tmp += ".tmp";
    {
        std::ofstream out(tmp);
        out << record.dump(1) << "\n";
        if (!out) throw std::runtime_error("cannot write " + tmp.string());
    }
    std::filesystem::rename(tmp, path);  // a reader never sees half a file
    return path;
}

}  // namespace ct_test
