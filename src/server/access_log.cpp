#include "server/access_log.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <mutex>
#include <stdexcept>

namespace cache_tier::server {

namespace {
int open_log(const std::string& target) {
    if (target == "-") return ::dup(STDOUT_FILENO);
    return ::open(target.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
}
}  // namespace

AccessLog::AccessLog(std::string target) : target_(std::move(target)) {
    fd_ = open_log(target_);
    if (fd_ < 0) throw std::runtime_error("access log '" + target_ + "': " + std::strerror(errno));
}

AccessLog::~AccessLog() {
    if (fd_ >= 0) ::close(fd_);
}

void AccessLog::write(std::string_view line) {
    std::shared_lock lock(mutex_);
    while (!line.empty()) {
        ssize_t n = ::write(fd_, line.data(), line.size());
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return;  // a full disk must not stop the server
        line.remove_prefix(static_cast<size_t>(n));
    }
}

bool AccessLog::reopen() {
    if (target_ == "-") return true;
    int fd = open_log(target_);
    if (fd < 0) return false;
    std::unique_lock lock(mutex_);
    ::close(fd_);
    fd_ = fd;
    return true;
}

void append_log_escaped(std::string& out, std::string_view value) {
    if (value.empty()) {
        out += '-';
        return;
    }
    static constexpr char hex[] = "0123456789ABCDEF";
    for (unsigned char c : value) {
        if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\') {
            out += "\\x";
            out += hex[c >> 4];
            out += hex[c & 15];
        } else {
            out += static_cast<char>(c);
        }
    }
}

}  // namespace cache_tier::server
