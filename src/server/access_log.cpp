#include "server/access_log.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <mutex>
#include <stdexcept>

#include "http/number.hpp"

namespace cache_tier::server {

namespace {
UniqueFd open_log(const std::string& target) {
    if (target == "-") return UniqueFd(::dup(STDOUT_FILENO));
    return UniqueFd(::open(target.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
}
}  // namespace

AccessLog::AccessLog(std::string target) : target_(std::move(target)), fd_(open_log(target_)) {
    if (!fd_) throw std::runtime_error("access log '" + target_ + "': " + std::strerror(errno));
}

void AccessLog::write(const AccessEntry& entry) {
    // Reused, so a logged request costs no allocation once the buffer has grown.
    thread_local std::string line;
    line.clear();
    append_combined_line(line, entry);
    write_line(line);
}

void AccessLog::write_line(std::string_view line) {
    std::shared_lock lock(mutex_);
    while (!line.empty()) {
        ssize_t n = ::write(fd_.get(), line.data(), line.size());
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return;  // a full disk must not stop the server
        line.remove_prefix(static_cast<size_t>(n));
    }
}

bool AccessLog::reopen() {
    if (target_ == "-") return true;
    UniqueFd fd = open_log(target_);
    if (!fd) return false;
    std::unique_lock lock(mutex_);
    fd_ = std::move(fd);
    return true;
}

void append_combined_line(std::string& out, const AccessEntry& entry) {
    const http::Request* req = entry.request;
    out += entry.peer;
    out += " - - [";
    out += entry.time;
    out += "] \"";
    if (req && !req->method_name.empty()) {
        append_log_escaped(out, req->method_name);
        out += ' ';
        append_log_escaped(out, req->target);
        out += req->version == 10 ? " HTTP/1.0" : " HTTP/1.1";
    } else {
        out += '-';  // the request line could not be parsed
    }
    out += "\" ";
    http::append_decimal(out, static_cast<std::uint64_t>(entry.status));
    out += ' ';
    http::append_decimal(out, entry.body_bytes);
    out += " \"";
    append_log_escaped(out, req ? req->referer : std::string_view{});
    out += "\" \"";
    append_log_escaped(out, req ? req->user_agent : std::string_view{});
    out += "\"\n";
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
