#include "support/fake_origin.hpp"

#include <csignal>
#include <stdexcept>

namespace ct_test {

FakeOrigin::FakeOrigin(const std::string& script, const fs::path& root, std::vector<std::string> extra_args) {
    for (int attempt = 0; attempt < 5; ++attempt) {
        port_ = free_port();
        std::vector<std::string> argv = {CACHE_TIER_PYTHON, std::string(CACHE_TIER_SOURCE_DIR) + "/tests/fakes/" + script,
                                         "--port", std::to_string(port_), "--root", root.string()};
        argv.insert(argv.end(), extra_args.begin(), extra_args.end());
        proc_ = std::make_unique<Process>(argv, logs_.path());
        if (wait_for_port(port_, 10s) && still_running_after_a_moment(*proc_)) return;
        proc_->kill9();
    }
    throw std::runtime_error(script + " did not start: " + proc_->stderr_text());
}

FakeOrigin::~FakeOrigin() {
    if (proc_) proc_->stop(SIGTERM, 5s);
}

int FakeOrigin::count_requests(const std::string& needle) const {
    return count_lines_containing(read_settled(proc_->stdout_path()), needle);
}

}  // namespace ct_test
