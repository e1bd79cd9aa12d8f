// GET/HEAD <static_prefix><name>: a cached file, like nginx's static module:
// validators, conditionals (RFC 9110 §13), ranges (RFC 9110 §14). The body is
// only described here (descriptor, offset, length); the server core sends it
// with sendfile.
#include "http/conditional.hpp"
#include "http/number.hpp"
#include "http/range.hpp"
#include "routes/routes.hpp"
#include "store/file_cache.hpp"
#include "store/name.hpp"

namespace cache_tier::routes {

namespace {

void add_content_range(http::Response& out, const http::ByteRange* range, std::uint64_t size) {
    out.headers += "Content-Range: bytes ";
    if (range) {
        http::append_decimal(out.headers, range->first);
        out.headers += '-';
        http::append_decimal(out.headers, range->last);
    } else {
        out.headers += '*';  // §14.4: unsatisfied range
    }
    out.headers += '/';
    http::append_decimal(out.headers, size);
    out.headers += "\r\n";
}

// The validators and caching headers every answer about the file carries (§15.4.5: a 304 repeats them).
void add_validators(http::Response& out, const http::OpenFile& f, const RouteOptions& options) {
    out.add_header("ETag", f.etag);
    out.add_header("Last-Modified", f.last_modified);
    if (!options.cache_control.empty()) out.add_header("Cache-Control", options.cache_control);
}

thread_local store::Name scratch_name;

}  // namespace

void handle_static(const http::Request& req, std::string_view raw_name, http::Response& out, store::FileCache& files,
                   const RouteOptions& options) {
    store::Name& name = scratch_name;
    if (auto err = store::normalize_name(raw_name, name); err != store::NameError::none) {
        // cache-tier's own files are not to be known from outside: as if absent.
        if (err == store::NameError::reserved) return http::error_response(out, 404, "no such file");
        return http::error_response(out, 400, store::describe(err));
    }
    store::OpenStatus status;
    auto file = files.open(name.local, status);
    switch (status) {
        case store::OpenStatus::ok: break;
        case store::OpenStatus::not_found: return http::error_response(out, 404, "no such file");
        case store::OpenStatus::forbidden: return http::error_response(out, 403, "outside the cache directory");
        case store::OpenStatus::error: return http::error_response(out, 500, "cannot open the file");
    }

    switch (http::evaluate_preconditions(req, file->etag, file->mtime)) {
        case http::Precondition::proceed: break;
        case http::Precondition::not_modified:
            out.status = 304;
            add_validators(out, *file, options);
            return;
        case http::Precondition::precondition_failed:
            http::error_response(out, 412, "precondition failed");
            add_validators(out, *file, options);
            return;
    }

    out.add_header("Content-Type", file->content_type);
    out.headers += "Accept-Ranges: bytes\r\n";
    add_validators(out, *file, options);
    out.file_offset = 0;
    out.file_length = file->size;

    // §13.1.5: a Range with a stale If-Range validator gets the whole file.
    if (!req.range.empty() && (req.if_range.empty() || http::if_range_matches(req.if_range, file->etag, file->mtime))) {
        http::ByteRange range;
        switch (http::parse_range(req.range, file->size, range)) {
            case http::RangeResult::ignore: break;
            case http::RangeResult::satisfiable:
                out.status = 206;
                add_content_range(out, &range, file->size);
                out.file_offset = range.first;
                out.file_length = range.length();
                break;
            case http::RangeResult::unsatisfiable: {
                out.headers.clear();
                http::error_response(out, 416, "range not satisfiable");
                add_content_range(out, nullptr, file->size);
                return;
            }
        }
    }
    out.file = std::move(file);
}

}  // namespace cache_tier::routes
