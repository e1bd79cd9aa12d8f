#include "routes/admin_parse.hpp"

#include <nlohmann/json.hpp>

#include <charconv>

#include "common/percent.hpp"
#include "http/ascii.hpp"
#include "http/response.hpp"
#include "store/layout.hpp"
#include "store/name.hpp"

namespace cache_tier::routes {

namespace {

struct QueryItem {
    std::string_view key;
    std::string_view raw_value;
};

// "a=1&b=2": the pairs in order; a pair without '=' has an empty value.
std::vector<QueryItem> split_query(std::string_view query) {
    std::vector<QueryItem> items;
    while (!query.empty()) {
        const auto amp = query.find('&');
        std::string_view pair = query.substr(0, amp);
        query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
        if (pair.empty()) continue;
        const auto eq = pair.find('=');
        items.push_back({pair.substr(0, eq), eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1)});
    }
    return items;
}

Result<std::string> decoded(std::string_view raw, std::string_view key) {
    std::string out;
    if (!percent_decode(raw, out)) return Error{"query parameter '" + std::string(key) + "': bad percent-encoding"};
    return out;
}

}  // namespace

bool constant_time_equal(std::string_view a, std::string_view b) {
    // Every byte of `b` is looked at whatever `a` holds.
    unsigned char diff = a.size() == b.size() ? 0 : 1;
    for (std::size_t i = 0; i < b.size(); ++i) {
        const unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
        diff |= static_cast<unsigned char>(x ^ static_cast<unsigned char>(b[i]));
    }
    return diff == 0;
}

bool bearer_token_matches(std::string_view authorization, std::string_view token) {
    constexpr std::string_view kScheme = "bearer";
    if (token.empty() || authorization.size() <= kScheme.size() ||
        !http::iequals_ascii(authorization.substr(0, kScheme.size()), kScheme) || authorization[kScheme.size()] != ' ')
        return false;
    std::string_view given = authorization.substr(kScheme.size());
    while (!given.empty() && given.front() == ' ') given.remove_prefix(1);
    while (!given.empty() && given.back() == ' ') given.remove_suffix(1);
    return constant_time_equal(given, token);
}

Result<std::string> parse_prefix(std::string_view raw) {
    auto prefix = decoded(raw, "prefix");
    if (!prefix) return prefix;
    std::string& p = *prefix;
    if (http::has_control_characters(p)) return Error{"prefix: contains a control character"};
    if (p.find('\\') != std::string::npos) return Error{"prefix: contains a backslash"};
    for (char& c : p) c = http::ascii_lower(c);
    // Names never start with '/' nor lead into cache-tier's own folder.
    if (p.starts_with('/')) return Error{"prefix: names do not start with '/'"};
    if (p.starts_with(store::kStateDir) && (p.size() == store::kStateDir.size() || p[store::kStateDir.size()] == '/'))
        return Error{"prefix: cache-tier's own folder holds no cached files"};
    return prefix;
}

Result<std::string_view> query_value(std::string_view query, std::string_view key) {
    std::optional<std::string_view> found;
    for (const QueryItem& item : split_query(query)) {
        if (item.key != key) continue;
        if (found) return Error{"query parameter '" + std::string(key) + "' is given twice"};
        found = item.raw_value;
    }
    if (!found) return Error{"query parameter '" + std::string(key) + "' is missing"};
    return *found;
}

Result<ListQuery> parse_list_query(std::string_view query) {
    ListQuery out;
    bool seen[3] = {false, false, false};
    for (const QueryItem& item : split_query(query)) {
        const int which = item.key == "prefix" ? 0 : item.key == "after" ? 1 : item.key == "limit" ? 2 : -1;
        if (which < 0) return Error{"unknown query parameter '" + http::escape_header_value(item.key) + "' (prefix, after, limit)"};
        if (seen[which]) return Error{"query parameter '" + std::string(item.key) + "' is given twice"};
        seen[which] = true;
        if (which == 2) {
            std::size_t limit = 0;
            const auto* end = item.raw_value.data() + item.raw_value.size();
            const auto [ptr, ec] = std::from_chars(item.raw_value.data(), end, limit);
            if (ec != std::errc() || ptr != end || limit < 1 || limit > kMaxListLimit)
                return Error{"limit: expected a whole number from 1 to " + std::to_string(kMaxListLimit)};
            out.limit = limit;
            continue;
        }
        auto value = parse_prefix(item.raw_value);  // `after` is a name: decoded and lower-cased alike
        if (!value) {
            if (which == 0) return value.error();
            return Error{"after" + value.error().message.substr(value.error().message.find(':'))};
        }
        (which == 0 ? out.prefix : out.after) = std::move(*value);
    }
    return out;
}

Result<std::vector<std::string>> parse_warm_names(std::string_view body) {
    using json = nlohmann::json;
    // No exceptions: a malformed body is discarded, not thrown.
    const json doc = json::parse(body.begin(), body.end(), nullptr, false);
    if (doc.is_discarded()) return Error{"the body is not valid JSON"};
    const json* list = &doc;
    if (doc.is_object()) {
        const auto it = doc.find("names");
        if (it == doc.end() || doc.size() != 1) return Error{"expected {\"names\": [...]} or a JSON array of names"};
        list = &*it;
    }
    if (!list->is_array()) return Error{"expected a JSON array of names"};
    if (list->empty()) return Error{"no names given"};
    if (list->size() > kMaxWarmNames)
        return Error{"at most " + std::to_string(kMaxWarmNames) + " names per call, got " + std::to_string(list->size())};
    std::vector<std::string> names;
    names.reserve(list->size());
    for (std::size_t i = 0; i < list->size(); ++i) {
        const json& item = (*list)[i];
        if (!item.is_string()) return Error{"item " + std::to_string(i) + ": expected a string"};
        names.push_back(item.get<std::string>());
    }
    return names;
}

WarmBatches warm_batches(const std::vector<std::string>& names) {
    WarmBatches out;
    std::string body;
    std::size_t in_body = 0;
    const auto close_body = [&] {
        if (in_body == 0) return;
        body.push_back(']');
        out.bodies.push_back(std::move(body));
        body.clear();
        in_body = 0;
    };
    for (const std::string& name : names) {
        if (!store::well_formed_utf8(name)) {
            out.unsendable.push_back({name, "not UTF-8: a JSON body cannot carry it"});
            continue;
        }
        const std::string item = nlohmann::json(name).dump();
        if (item.size() + 2 > kMaxWarmBody) {
            out.unsendable.push_back({name, "too long for a warm call"});
            continue;
        }
        // '[' or ',' before it, ']' after it.
        if (in_body == kMaxWarmNames || (in_body > 0 && body.size() + 1 + item.size() + 1 > kMaxWarmBody)) close_body();
        body.push_back(in_body == 0 ? '[' : ',');
        body += item;
        ++in_body;
    }
    close_body();
    return out;
}

}  // namespace cache_tier::routes
