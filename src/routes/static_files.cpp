// GET/HEAD <static_prefix><name>: a cached file, like nginx's static module:
// validators, conditionals (RFC 9110 §13), ranges (RFC 9110 §14). The body is
// only described here (descriptor, offset, length) and the server core sends
// it with sendfile; a hot small file's body comes from memory instead
// (store/small_files.hpp), so header and body leave in one send.
#include "http/conditional.hpp"
#include "fill/fill_engine.hpp"
#include "http/range.hpp"
#include "routes/routes.hpp"
#include "signing/signed_link.hpp"
#include "store/file_cache.hpp"
#include "store/name.hpp"

namespace cache_tier::routes {

namespace {

thread_local store::Name scratch_name;

// With signing on, true when the request's query signs this file and has not
// expired; else `out` holds the 403. Checked before the file is looked up, so
// a request without a valid link learns nothing about which files exist.
bool link_is_valid(const http::Request& req, const store::Name& name, const RouteOptions& options,
                   http::Response& out) {
    if (options.url_signing_secret.empty()) return true;
    const auto q = req.target.find('?');
    const std::string_view query = q == std::string_view::npos ? std::string_view() : req.target.substr(q + 1);
    const signing::LinkError error =
        signing::check_link(options.url_signing_secret, signing::signed_path(options.static_prefix, name.local), query,
                            options.clock->unix_seconds());
    if (error == signing::LinkError::none) return true;
    http::error_response(out, 403, signing::describe(error));
    return false;
}

// The file a request names, or null with `out` holding the error answer.
// Not cached yet, but filling with its length known (with `fills`): the
// filling file, so everyone is served from the one origin fetch.
store::Opened open_named(const http::Request& req, std::string_view raw_name, store::FileCache& files,
                         const RouteOptions& options, fill::FillEngine* fills, http::Response& out) {
    store::Name& name = scratch_name;
    if (auto err = store::normalize_name(raw_name, name); err != store::NameError::none) {
        // cache-tier's own files are not to be known from outside: as if absent.
        if (err == store::NameError::reserved) http::error_response(out, 404, "no such file");
        else http::error_response(out, 400, store::describe(err));
        return {};
    }
    if (!link_is_valid(req, name, options, out)) return {};
    // A HEAD sends no body (RFC 9110 §9.3.2): nothing to read into memory for it.
    const auto want = req.method == http::Method::head ? store::Want::descriptor : store::Want::contents;
    store::Opened opened = files.open(name.local, want);
    if (opened.status == store::OpenStatus::not_found && fills) {
        if (auto filling = fills->streaming_file(name)) return {std::move(filling)};
    }
    switch (opened.status) {
        case store::OpenStatus::ok: break;
        case store::OpenStatus::not_found: http::error_response(out, 404, "no such file"); break;
        case store::OpenStatus::forbidden: http::error_response(out, 403, "outside the cache directory"); break;
        case store::OpenStatus::error: http::error_response(out, 500, "cannot open the file"); break;
    }
    return opened;
}

// The validators and caching headers every answer about the file carries (§15.4.5: a 304 repeats them).
void add_validators(http::Response& out, const http::OpenFile& f, const RouteOptions& options) {
    out.add_header("ETag", f.etag);
    out.add_header("Last-Modified", f.last_modified);
    if (!options.cache_control.empty()) out.add_header("Cache-Control", options.cache_control);
}

// §13.2.2: true when the conditionals let the file be sent; else `out` holds the 304 or 412.
bool preconditions_pass(const http::Request& req, const http::OpenFile& file, const RouteOptions& options,
                        http::Response& out) {
    switch (http::evaluate_preconditions(req, file.etag, file.mtime)) {
        case http::Precondition::proceed: return true;
        case http::Precondition::not_modified: out.status = 304; break;
        case http::Precondition::precondition_failed: http::error_response(out, 412, "precondition failed"); break;
    }
    add_validators(out, file, options);
    return false;
}

// The part of the file asked for. §13.1.5: a Range with a stale If-Range validator gets the whole file.
http::RangeResult requested_range(const http::Request& req, const http::OpenFile& file, http::ByteRange& range) {
    if (req.range.empty()) return http::RangeResult::ignore;
    if (!req.if_range.empty() && !http::if_range_matches(req.if_range, file.etag, file.mtime))
        return http::RangeResult::ignore;
    return http::parse_range(req.range, file.size, range);
}

}  // namespace

void handle_static(const http::Request& req, std::string_view raw_name, http::Response& out, store::FileCache& files,
                   const RouteOptions& options, fill::FillEngine* fills) {
    store::Opened opened = open_named(req, raw_name, files, options, fills, out);
    auto& file = opened.file;
    if (!file) return;
    // Whatever the conditionals and ranges make of it, the answer came from the cache.
    out.cache_result = file->growing ? metrics::CacheResult::stream : metrics::CacheResult::hit;
    if (!preconditions_pass(req, *file, options, out)) return;

    http::ByteRange range;
    const http::RangeResult ranged = requested_range(req, *file, range);
    if (ranged == http::RangeResult::unsatisfiable) {
        http::error_response(out, 416, "range not satisfiable");
        out.add_header("Content-Range", http::ContentRange(nullptr, file->size).value());
        return;
    }
    out.add_header("Content-Type", file->content_type);
    out.add_header("Accept-Ranges", "bytes");
    add_validators(out, *file, options);
    out.file_offset = 0;
    out.file_length = file->size;
    if (ranged == http::RangeResult::satisfiable) {
        out.status = 206;
        out.add_header("Content-Range", http::ContentRange(&range, file->size).value());
        out.file_offset = range.first;
        out.file_length = range.length();
    }
    if (opened.contents) {
        // The same bytes the descriptor holds, read whole after the stat that made the validators.
        out.body.assign(*opened.contents, out.file_offset, out.file_length);
        return;
    }
    out.file = std::move(file);
}

}  // namespace cache_tier::routes
