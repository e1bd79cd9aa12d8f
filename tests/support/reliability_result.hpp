#pragma once
// One JSON file per reliability case, the input of scripts/reliability_report.py
// (the same format as tests/reliability/ct_results.py writes). The folder is
// $CACHE_TIER_RESULTS_DIR (CTest sets it), else <build>/reliability-results.
//
//   ct_test::write_reliability_result({.case_name = "disk-full", .category = "fault",
//       .measured = "fills failed cleanly", .value = 20, .unit = "of 20", .target = "all",
//       .passed = true, .details = "ENOSPC on a 16 MB tmpfs"});
//
// A case written again replaces its earlier file (the name is category.case).
#include <filesystem>
#include <optional>
#include <string>

namespace ct_test {

struct ReliabilityResult {
    std::string case_name;        // short and stable: "slowloris-1000"
    std::string category;         // load, soak, fault, security
    std::string measured;         // what the figure is: "p95 latency of normal clients"
    std::optional<double> value;  // the figure; none when nothing could be measured
    std::string unit;             // "ms", "MiB", "connections", ...
    std::string target;           // "< 100 ms", "431 and closed"
    bool passed = false;
    std::string details;          // conditions, one line
};

// Writes the case's file (atomically) and returns its path. The test name
// recorded is the running GoogleTest's, if any.
std::filesystem::path write_reliability_result(const ReliabilityResult& result);

}  // namespace ct_test
