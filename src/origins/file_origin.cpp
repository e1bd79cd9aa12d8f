// Origin in a local directory (the demo's origin, or an NFS mount): file:///dir.
//
// public_url() returns a file:// URL. Browsers will not follow a redirect from
// an http page to file://, so this origin suits fills and demos, not serving
// misses to the public; it is what the URL names, and the caller decides.
#include <fcntl.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "http/conditional.hpp"
#include "http/http_date.hpp"
#include "origins/fd_io.hpp"
#include "store/file_io.hpp"
#include "origins/origin_factories.hpp"
#include "store/name.hpp"
#include "store/safe_open.hpp"

namespace cache_tier::origins::detail {

namespace {

bool is_local_write_error(int error) {
    return error == ENOSPC || error == EDQUOT || error == EFBIG || error == EROFS;
}

struct CopyOutcome {
    std::uint64_t copied = 0;
    int error = 0;            // 0: stopped at `size`, at end of file, or cancelled
    bool write_side = false;  // the error came from writing out_fd
    bool cancelled = false;
    std::string refused;      // the observer's reason to stop, when it gave one
};

// Copy `size` bytes from the current offsets: in-kernel (copy_file_range,
// then sendfile) where the filesystems allow it, read/write otherwise. A
// cancelled request stops it between chunks.
CopyOutcome copy_bytes(int in, int out, std::uint64_t size, const FetchRequest& req) {
    enum class Method { copy_range, sendfile, read_write } method = Method::copy_range;
    CopyOutcome outcome;
    std::vector<char> buffer;
    WriteBehind write_behind(out);
    while (outcome.copied < size) {
        if (req.is_cancelled()) {
            outcome.cancelled = true;
            return outcome;
        }
        // Chunks of a few MiB, so write-back starts while the copy goes on.
        std::size_t chunk = static_cast<std::size_t>(std::min<std::uint64_t>(size - outcome.copied, 8u << 20));
        ssize_t n = 0;
        if (method == Method::copy_range) {
            n = ::copy_file_range(in, nullptr, out, nullptr, chunk, 0);
            if (n < 0 && (errno == EXDEV || errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP ||
                          errno == EBADF || errno == EPERM)) {
                method = Method::sendfile;
                continue;
            }
        } else if (method == Method::sendfile) {
            n = ::sendfile(out, in, nullptr, chunk);
            if (n < 0 && (errno == EINVAL || errno == ENOSYS)) {
                method = Method::read_write;
                continue;
            }
        } else {
            buffer.resize(1 << 18);
            n = ::read(in, buffer.data(), std::min(chunk, buffer.size()));
            if (n > 0) {
                if (Status written = store::write_all(out, buffer.data(), static_cast<std::size_t>(n)); !written) {
                    outcome.error = written.code();
                    outcome.write_side = true;
                    return outcome;
                }
            }
        }
        if (n < 0) {
            if (errno == EINTR) continue;
            outcome.error = errno;
            outcome.write_side = is_local_write_error(errno);
            return outcome;
        }
        if (n == 0) return outcome;  // end of file before `size`: the file shrank
        outcome.copied += static_cast<std::uint64_t>(n);
        write_behind.wrote(outcome.copied);
        if (req.observer) {
            if (Status go = req.observer->on_written(outcome.copied); !go) {
                outcome.refused = go.error().message;
                return outcome;
            }
        }
    }
    return outcome;
}

// RFC 9110 §13.2.2, as the server itself answers conditional requests:
// If-None-Match decides when present, else If-Modified-Since.
bool unchanged(const Validators& validators, const std::string& etag, std::int64_t mtime) {
    http::Request conditional;
    conditional.method = http::Method::get;
    conditional.if_none_match = validators.etag;
    conditional.if_modified_since = validators.last_modified;
    return http::evaluate_preconditions(conditional, etag, mtime) == http::Precondition::not_modified;
}

class FileOrigin final : public Origin {
public:
    explicit FileOrigin(std::string dir) : dir_(std::move(dir)) {}

    FetchResult fetch(const FetchRequest& req, int out_fd) override {
        try {
            return fetch_file(req, out_fd);
        } catch (const std::exception& e) {
            FetchResult result;
            result.status = FetchStatus::local_error;
            result.message = std::string("fetch failed: ") + e.what();
            return result;
        }
    }

    std::string public_url(std::string_view key) const override {
        std::string dir = dir_ == "/" ? "" : dir_;
        return "file://" + (dir.empty() ? "" : "/" + store::encode_path(dir.substr(1))) + "/" +
               store::encode_path(key);
    }

    std::string describe() const override { return "file://" + dir_; }

private:
    FetchResult fetch_file(const FetchRequest& req, int out_fd) const {
        FetchResult result;
        auto fail = [&](FetchStatus status, std::string message) {
            result.status = status;
            result.message = std::move(message);
            return result;
        };
        if (req.key.empty() || req.key.find('\0') != std::string::npos)
            return fail(FetchStatus::not_found, "not a valid file name");
        UniqueFd dir(::open(dir_.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
        if (!dir)
            return fail(FetchStatus::origin_error,
                        "cannot open origin directory " + dir_ + ": " + std::strerror(errno));
        auto opened = store::open_beneath(dir.get(), req.key);
        if (!opened) {
            const int error = opened.code();
            if (error == ENOENT || error == ENOTDIR)
                return fail(FetchStatus::not_found, "origin has no file '" + req.key + "'");
            if (error == EXDEV || error == ELOOP)
                return fail(FetchStatus::not_found, "'" + req.key + "' leads outside the origin directory");
            if (error == EACCES) return fail(FetchStatus::refused, "no permission to read '" + req.key + "'");
            return fail(FetchStatus::origin_error, opened.error().message);  // "cannot open 'key': why"
        }
        UniqueFd file = std::move(*opened);
        struct stat st {};
        if (::fstat(file.get(), &st) != 0)
            return fail(FetchStatus::origin_error, "cannot stat '" + req.key + "': " + std::strerror(errno));
        if (!S_ISREG(st.st_mode)) return fail(FetchStatus::not_found, "'" + req.key + "' is not a regular file");

        const auto size = static_cast<std::uint64_t>(st.st_size);
        const std::int64_t mtime = st.st_mtim.tv_sec;
        result.etag = http::strong_etag(mtime, size);
        result.last_modified = http::format_http_date(mtime);
        if (unchanged(req.validators, result.etag, mtime))
            return fail(FetchStatus::not_modified, "origin file unchanged");
        if (req.max_size != 0 && size > req.max_size)
            return fail(FetchStatus::too_large, "origin file is " + std::to_string(size) +
                                                    " bytes, over the limit of " + std::to_string(req.max_size));

        if (req.observer) {
            if (Status go = req.observer->on_head(FileHead{size, result.etag, result.last_modified}); !go)
                return fail(FetchStatus::local_error, go.error().message);
        }
        CopyOutcome copy = copy_bytes(file.get(), out_fd, size, req);
        result.bytes = copy.copied;
        if (copy.cancelled) return fail(FetchStatus::local_error, std::string(kFetchCancelled));
        if (!copy.refused.empty()) return fail(FetchStatus::local_error, copy.refused);
        if (copy.error != 0 && copy.write_side)
            return fail(FetchStatus::local_error,
                        std::string("writing the temporary file failed: ") + std::strerror(copy.error));
        if (copy.error != 0)
            return fail(FetchStatus::origin_error, "reading '" + req.key + "' failed after " +
                                                       std::to_string(copy.copied) + " bytes: " +
                                                       std::strerror(copy.error));
        if (copy.copied != size)
            return fail(FetchStatus::short_body, "origin file shrank while copying: " + std::to_string(copy.copied) +
                                                     " of " + std::to_string(size) + " bytes");
        result.status = FetchStatus::ok;
        return result;
    }

    std::string dir_;  // absolute, no trailing '/' (except "/" itself)
};

}  // namespace

std::unique_ptr<Origin> make_file_origin(const OriginOptions& opts, const UrlParts& url) {
    if (!url.authority.empty() && url.authority != "localhost")
        throw_bad_url(opts.url, "file:// URLs name a local directory; use file:///absolute/dir, not a host");
    std::string dir;
    if (!percent_decode(url.path, dir)) throw_bad_url(opts.url, "has a bad percent-escape");
    if (dir.empty() || dir.front() != '/')
        throw_bad_url(opts.url, "needs an absolute directory (file:///srv/files)");
    if (dir.find('\0') != std::string::npos) throw_bad_url(opts.url, "has a NUL byte");
    while (dir.size() > 1 && dir.ends_with('/')) dir.pop_back();
    struct stat st {};
    if (::stat(dir.c_str(), &st) != 0)
        throw_bad_url(opts.url, "directory " + dir + " cannot be used: " + std::strerror(errno));
    if (!S_ISDIR(st.st_mode)) throw_bad_url(opts.url, dir + " is not a directory");
    return std::make_unique<FileOrigin>(std::move(dir));
}

}  // namespace cache_tier::origins::detail
