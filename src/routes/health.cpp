// GET /healthz and /readyz, for load balancers and orchestrators. Both say
// Cache-Control: no-store: a cached "ok" would hide a failure.
#include "routes/health.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>

#include <nlohmann/json.hpp>

#include "common/unique_fd.hpp"
#include "routes/routes.hpp"

namespace cache_tier::routes {

namespace {

void answer(http::Response& out, int status, const nlohmann::json& body) {
    out.status = status;
    out.add_header("Content-Type", "application/json");
    out.add_header("Cache-Control", "no-store");
    out.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    out.body += '\n';
}

}  // namespace

// An unnamed file (O_TMPFILE) goes away with its descriptor; where the file
// system has none, a named one is made and unlinked at once.
std::string Readiness::disk_problem() {
    UniqueFd fd(::open(temp_dir_.c_str(), O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600));
    if (!fd && (errno == EOPNOTSUPP || errno == EISDIR)) {
        std::string path = (temp_dir_ / "ready-XXXXXX").string();
        fd = UniqueFd(::mkostemp(path.data(), O_CLOEXEC));
        if (fd) ::unlink(path.c_str());
    }
    if (!fd) return "cache directory not writable: cannot create a file in " + temp_dir_.string() + ": " + std::strerror(errno);
    // A full disk may still let a file be created; one byte must go in.
    if (::write(fd.get(), "x", 1) != 1)
        return "cache directory not writable: cannot write in " + temp_dir_.string() + ": " + std::strerror(errno);
    return {};
}

Readiness::Answer Readiness::check(fill::FillEngine* fills) {
    {
        std::lock_guard lock(mutex_);
        const auto now = std::chrono::steady_clock::now();
        if (!checked_ || now - checked_at_ >= kDiskCheckEvery) {
            disk_problem_ = disk_problem();
            checked_at_ = now;
            checked_ = true;
        }
        if (!disk_problem_.empty()) return {false, disk_problem_};
    }
    if (!fills) return {};
    // The origin is unreachable while its last contact, recent enough, got no
    // answer. An older failure is not held against it: with no fills there is
    // nothing to learn from, and a node never ready would never fill again.
    fills->probe_origin_if_quiet(origin_window_);
    const fill::OriginContact contact = fills->origin_contact();
    const std::int64_t now = std::time(nullptr);
    if (contact.last_unreachable > contact.last_answer && now - contact.last_unreachable <= origin_window_.count())
        return {false, "origin unreachable: " + contact.unreachable_message};
    return {};
}

void handle_healthz(http::Response& out) { answer(out, 200, {{"status", "ok"}}); }

void handle_readyz(http::Response& out, const RouteContext& ctx) {
    const Readiness::Answer a = ctx.readiness.check(ctx.fills);
    if (a.ready) return answer(out, 200, {{"status", "ready"}});
    answer(out, 503, {{"status", "not ready"}, {"reason", a.reason}});
}

}  // namespace cache_tier::routes
