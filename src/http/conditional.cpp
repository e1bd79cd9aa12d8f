#include "http/conditional.hpp"
#include "http/ows.hpp"

#include <cstdio>

#include "http/http_date.hpp"

namespace cache_tier::http {
namespace {

struct EntityTag {
    bool weak = false;
    std::string_view opaque;  // including the quotes
};

// entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE (§8.8.3). etagc excludes only
// DQUOTE, so a comma may sit inside a tag: the list is split by quotes, not commas.
bool split_weak_prefix(std::string_view& text) {
    if (text.size() >= 2 && text[0] == 'W' && text[1] == '/') {
        text.remove_prefix(2);
        return true;
    }
    return false;
}

bool tags_match(const EntityTag& a, const EntityTag& b, bool weak_comparison) {
    // §8.8.3.2: strong comparison needs both tags strong; weak ignores the W/.
    if (!weak_comparison && (a.weak || b.weak)) return false;
    return a.opaque == b.opaque;
}

EntityTag as_entity_tag(std::string_view etag) {
    EntityTag tag;
    tag.weak = split_weak_prefix(etag);
    tag.opaque = etag;
    return tag;
}

bool date_is_valid_and(std::string_view text, auto&& predicate) {
    const auto date = parse_http_date(text);
    return date && predicate(*date);
}

}  // namespace

bool etag_list_matches(std::string_view list, std::string_view etag, bool weak) {
    if (etag.empty()) return false;  // no current representation to match
    list = trim_ows(list);
    if (list == "*") return true;
    const EntityTag current = as_entity_tag(etag);

    while (!list.empty()) {
        // Skip separators and empty list elements (§5.6.1.2).
        while (!list.empty() && (is_ows(list.front()) || list.front() == ',')) list.remove_prefix(1);
        if (list.empty()) break;
        EntityTag candidate;
        candidate.weak = split_weak_prefix(list);
        const auto close = list.front() == '"' ? list.find('"', 1) : std::string_view::npos;
        if (close == std::string_view::npos) {
            // Not an entity-tag (unquoted, or unterminated): it matches nothing; go on after it.
            const auto comma = list.find(',');
            list.remove_prefix(comma == std::string_view::npos ? list.size() : comma);
            continue;
        }
        candidate.opaque = list.substr(0, close + 1);
        list.remove_prefix(close + 1);
        if (tags_match(candidate, current, weak)) return true;
    }
    return false;
}

Precondition evaluate_preconditions(const Request& req, std::string_view etag, std::int64_t mtime) {
    const bool get_or_head = req.method == Method::get || req.method == Method::head;

    // §13.2.2 step 1: If-Match, strong comparison (§13.1.1).
    if (!req.if_match.empty()) {
        if (!etag_list_matches(req.if_match, etag, /*weak=*/false)) return Precondition::precondition_failed;
    } else if (!req.if_unmodified_since.empty()) {
        // Step 2: If-Unmodified-Since, ignored when not a valid date (§13.1.4).
        if (date_is_valid_and(req.if_unmodified_since, [&](std::int64_t date) { return mtime > date; })) {
            return Precondition::precondition_failed;
        }
    }

    // Step 3: If-None-Match, weak comparison (§13.1.2).
    if (!req.if_none_match.empty()) {
        if (etag_list_matches(req.if_none_match, etag, /*weak=*/true)) {
            return get_or_head ? Precondition::not_modified : Precondition::precondition_failed;
        }
    } else if (get_or_head && !req.if_modified_since.empty()) {
        // Step 4: If-Modified-Since, only without If-None-Match and only for a
        // valid date (§13.1.3).
        if (date_is_valid_and(req.if_modified_since, [&](std::int64_t date) { return mtime <= date; })) {
            return Precondition::not_modified;
        }
    }
    return Precondition::proceed;
}

bool if_range_matches(std::string_view if_range, std::string_view etag, std::int64_t mtime) {
    if_range = trim_ows(if_range);
    if (if_range.empty()) return true;
    // §13.1.5: an entity-tag is compared strongly, so a weak one never matches.
    if (if_range.front() == '"' || if_range.starts_with("W/")) {
        return tags_match(as_entity_tag(if_range), as_entity_tag(etag), /*weak_comparison=*/false);
    }
    // An HTTP-date matches only when it equals Last-Modified exactly; an invalid date never does.
    return date_is_valid_and(if_range, [&](std::int64_t date) { return date == mtime; });
}

std::string strong_etag(std::int64_t mtime, std::uint64_t size) {
    char etag[40];
    int n = std::snprintf(etag, sizeof etag, "\"%llx-%llx\"", static_cast<unsigned long long>(mtime),
                          static_cast<unsigned long long>(size));
    return std::string(etag, static_cast<std::size_t>(n));
}

}  // namespace cache_tier::http
