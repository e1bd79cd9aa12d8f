// GET /verify/<name>: is the file cached? If not, a fill starts and the
// answer comes at once (available=false); the client sends its user to the
// origin meanwhile. This is the hot path the main web site calls for every
// page, so the answer is written by hand into the response's reused buffers.
#include <sys/stat.h>

#include "fill/fill_engine.hpp"
#include "routes/routes.hpp"
#include "routes/verify_reply.hpp"
#include "store/file_cache.hpp"

namespace cache_tier::routes {

namespace {

// Length of the valid UTF-8 sequence at the start of `s`, 0 if it is not one
// (overlong forms, surrogates and code points past U+10FFFF are not valid).
std::size_t utf8_sequence_length(std::string_view s) {
    const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
    const auto continuation = [&](std::size_t i) { return i < s.size() && (byte(i) & 0xC0) == 0x80; };
    const unsigned char b0 = byte(0);
    if (b0 < 0x80) return 1;
    if (b0 >= 0xC2 && b0 <= 0xDF) return continuation(1) ? 2 : 0;
    if (b0 >= 0xE0 && b0 <= 0xEF) {
        if (!continuation(1) || !continuation(2)) return 0;
        if (b0 == 0xE0 && byte(1) < 0xA0) return 0;  // overlong
        if (b0 == 0xED && byte(1) > 0x9F) return 0;  // surrogate
        return 3;
    }
    if (b0 >= 0xF0 && b0 <= 0xF4) {
        if (!continuation(1) || !continuation(2) || !continuation(3)) return 0;
        if (b0 == 0xF0 && byte(1) < 0x90) return 0;  // overlong
        if (b0 == 0xF4 && byte(1) > 0x8F) return 0;  // past U+10FFFF
        return 4;
    }
    return 0;
}

std::string_view state_name(fill::FileState state) {
    switch (state) {
    case fill::FileState::cached: return "cached";
    case fill::FileState::filling: return "filling";
    case fill::FileState::not_found: return "not_found";
    case fill::FileState::failed: return "failed";
    case fill::FileState::queue_full: return "queue_full";
    }
    return "unknown";
}

}  // namespace

fill::FileStatus ensure_servable(const store::Name& name, const RouteContext& ctx) {
    auto copy = ctx.files.open(name.local).file;
    if (!copy) return ctx.fills->ensure(name, std::nullopt);
    // The open-file cache trusts a descriptor for about a second. One evicted or
    // replaced since must not be called available: another thread's static
    // route would not find it. Such a name is looked at afresh.
    struct stat st {};
    if (::fstat(copy->fd.get(), &st) != 0 || st.st_nlink == 0) return ctx.fills->ensure(name);
    return ctx.fills->ensure(name, copy->size);
}

void append_json_string(std::string& out, std::string_view text) {
    static constexpr char kHex[] = "0123456789abcdef";
    out.push_back('"');
    while (!text.empty()) {
        const unsigned char c = static_cast<unsigned char>(text.front());
        std::size_t length = 1;
        if (c == '"' || c == '\\') {
            out.push_back('\\');
            out.push_back(static_cast<char>(c));
        } else if (c < 0x20 || c == 0x7f) {
            // RFC 8259 §7: control characters must be escaped.
            out.append("\\u00");
            out.push_back(kHex[c >> 4]);
            out.push_back(kHex[c & 0xF]);
        } else if (c < 0x80) {
            out.push_back(static_cast<char>(c));
        } else if ((length = utf8_sequence_length(text)) > 0) {
            out.append(text.substr(0, length));
        } else {
            out.append("\\ufffd");
            length = 1;
        }
        text.remove_prefix(length);
    }
    out.push_back('"');
}

void write_verify_json(http::Response& out, int status, std::string_view file, bool available,
                       std::string_view error_msg, std::string_view state) {
    out.status = status;
    out.add_header("Content-Type", "application/json");
    out.add_header("Cache-Control", "no-store");
    std::string& body = out.body;
    body.append(available ? "{\"available\":true,\"file\":" : "{\"available\":false,\"file\":");
    append_json_string(body, file);
    if (error_msg.empty()) {
        body.append(",\"error\":false,\"error_msg\":null");
    } else {
        body.append(",\"error\":true,\"error_msg\":");
        append_json_string(body, error_msg);
    }
    // "available" stays false until the copy is whole (the original's clients
    // rely on it); "filling" says a fill runs, whose file /download may stream.
    if (state == "filling") body.append(",\"filling\":true");
    if (!state.empty()) body.append(",\"state\":\"").append(state).append("\"");
    body.append("}");
}

void reject_name(std::string_view raw_name, store::NameError error, http::Response& out) {
    // The name as far as it decodes: well-formed escapes decoded, the rest as given.
    std::string shown;
    percent_decode(raw_name, shown, BadEscape::keep);
    write_verify_json(out, 400, shown, false, store::describe(error), "");
}

void handle_verify(const http::Request& req, std::string_view raw_name, http::Response& out,
                   const RouteContext& ctx) {
    // Reused per server thread: a name's buffers keep their capacity between requests.
    thread_local store::Name name;
    if (auto error = store::normalize_name(raw_name, name); error != store::NameError::none) {
        reject_name(raw_name, error, out);
        return;
    }
    // Every well-formed name not available is a miss: the site sends its user to the origin.
    if (!ctx.fills) {
        out.cache_result = metrics::CacheResult::miss;
        write_verify_json(out, 200, name.origin, false, "no origin configured", "");
        return;
    }
    const fill::FileStatus status = ensure_servable(name, ctx);
    if (!status.available()) out.cache_result = metrics::CacheResult::miss;
    write_verify_json(out, 200, name.origin, status.available(), status.error_message, state_name(status.state));
}

}  // namespace cache_tier::routes
