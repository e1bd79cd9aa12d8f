#pragma once
// The admin API's inputs as pure functions of the bytes a client sent: the
// bearer token check, the query strings and the body of /admin/warm. No I/O,
// no exception: each returns a value or an Error whose message is the 400's.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace cache_tier::routes {

inline constexpr std::size_t kDefaultListLimit = 100;
inline constexpr std::size_t kMaxListLimit = 1000;
inline constexpr std::size_t kMaxWarmNames = 10000;
inline constexpr std::size_t kMaxWarmBody = 1 << 20;  // bytes; past it: 413

// Equal contents, in a time that depends on the lengths only, never on where
// the first difference is (no early exit): a token cannot be guessed byte by byte.
bool constant_time_equal(std::string_view a, std::string_view b);

// `authorization` is the request's Authorization value: "Bearer <token>"
// (RFC 6750 §2.1; the scheme is case-insensitive, RFC 9110 §11.1).
bool bearer_token_matches(std::string_view authorization, std::string_view token);

// A name prefix from a query string: percent-decoded once, lower-cased as the
// cache's names are; no control character, no backslash, nothing under
// .cache-tier/. "" is a valid prefix (every name).
Result<std::string> parse_prefix(std::string_view raw);

// GET /admin/files?prefix=P&limit=N&after=NAME (each optional; '+' is a plus).
struct ListQuery {
    std::string prefix;
    std::string after;  // a local name, decoded and lower-cased; "" for the first page
    std::size_t limit = kDefaultListLimit;
};
Result<ListQuery> parse_list_query(std::string_view query);

// The value of `key` in a query string, still percent-encoded; an Error if it
// is missing or repeated. For DELETE /admin/files?prefix=P.
Result<std::string_view> query_value(std::string_view query, std::string_view key);

// The body of POST /admin/warm: a JSON array of names as the origin knows
// them (["show/ep1.mp3", ...]), or an object {"names": [...]}. At most
// kMaxWarmNames strings. Names are not checked here (see store::normalize_name).
// A fuzz target may call this with any bytes.
Result<std::vector<std::string>> parse_warm_names(std::string_view body);

// What a client sends for a list of names of any length: bodies for POST
// /admin/warm, in order, each a JSON array of at most kMaxWarmNames names and
// kMaxWarmBody bytes (the server's limits). A name JSON cannot carry (not
// UTF-8: RFC 8259 §8.1) or too long for any body is set aside with a reason.
struct WarmBatches {
    struct Unsendable {
        std::string name;
        std::string reason;
    };
    std::vector<std::string> bodies;
    std::vector<Unsendable> unsendable;
};
WarmBatches warm_batches(const std::vector<std::string>& names);

}  // namespace cache_tier::routes
