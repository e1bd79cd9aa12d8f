#pragma once
// One of the python fakes in tests/fakes (misbehaving_origin.py,
// sigv4_origin.py) serving `root` on a free port. Each request it gets is one
// line "METHOD TARGET STATUS" of its output.
#include <memory>
#include <string>
#include <vector>

#include "support/process.hpp"

namespace ct_test {

class FakeOrigin {
public:
    FakeOrigin(const std::string& script, const fs::path& root, std::vector<std::string> extra_args = {});
    ~FakeOrigin();
    int port() const { return port_; }
    std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port_); }
    // Requests so far whose log line contains `needle`.
    int count_requests(const std::string& needle) const;
    std::string log() const { return proc_->stdout_text() + proc_->stderr_text(); }

private:
    TempDir logs_;
    int port_ = 0;
    std::unique_ptr<Process> proc_;
};

}  // namespace ct_test
