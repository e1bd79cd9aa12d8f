#include "fill/outcome.hpp"

#include <fmt/core.h>

#include "fill/backoff.hpp"

namespace cache_tier::fill {

using origins::FetchResult;
using origins::FetchStatus;

std::string not_found_message(const std::string& key, const FetchResult& result) {
    std::string why = result.answer.empty() ? "not found" : result.answer;
    if (!result.origin_code.empty()) why += ": " + result.origin_code;
    return fmt::format("origin has no file '{}' ({})", key, why);
}

namespace {

void clear_failures(Entry& entry) {
    entry.failures = 0;
    entry.retry_at = {};
    entry.error_message.clear();
}

// The copy stays; its record is refreshed as of now (a 304, or a 404 that says nothing of it).
OutcomeEffects refresh_record(Entry& entry, const FetchAttempt& attempt, const FetchResult& result,
                              const OutcomeNow& now) {
    store::FileMeta meta = entry.meta.value_or(store::FileMeta{});
    meta.fetched_at = now.unix_seconds;
    OutcomeEffects effects;
    if (result.status == FetchStatus::not_modified) {
        meta.origin_key = attempt.key;  // confirmed by the origin
        // RFC 9111 §4.3.4: a 304 updates the stored validators it carries.
        if (!result.etag.empty()) meta.etag = result.etag;
        if (!result.last_modified.empty()) meta.last_modified = result.last_modified;
        effects.log = "not modified at the origin, copy kept";
    } else {
        // Not asked again before revalidate_after, as if it had been a 304.
        effects.log = "not at the origin under this spelling; the copy it was fetched as is kept";
    }
    entry.meta = meta;
    effects.save_record = std::move(meta);
    clear_failures(entry);
    return effects;
}

OutcomeEffects new_copy(Entry& entry, const FetchAttempt& attempt, const FetchResult& result, const OutcomeNow& now) {
    store::FileMeta meta{result.etag, result.last_modified, result.bytes, now.unix_seconds, attempt.key};
    entry.meta = meta;
    entry.last_used = now.unix_nanoseconds;
    entry.misses.clear();
    clear_failures(entry);
    OutcomeEffects effects;
    effects.save_record = std::move(meta);
    effects.count_size = result.bytes;  // a replaced copy counts its new size only
    effects.log = fmt::format("{} bytes", result.bytes);
    return effects;
}

OutcomeEffects missing(Entry& entry, const FetchAttempt& attempt, const FetchResult& result, bool had_copy,
                       const OutcomeNow& now, const OutcomePolicy& policy) {
    OutcomeEffects effects;
    // A 404 for the key the copy was fetched with means the origin deleted it.
    if (had_copy) {
        effects.remove_copy = true;
        effects.uncount = true;
    }
    effects.remove_record = true;
    entry.meta.reset();
    std::string message = not_found_message(attempt.key, result);
    effects.log = fmt::format("{}{}; remembered for {} s", had_copy ? "gone from the origin, local copy removed; " : "",
                              message, policy.negative_ttl.count());
    entry.remember_miss(Miss{attempt.key, now.steady + policy.negative_ttl, std::move(message)});
    return effects;
}

OutcomeEffects failed(Entry& entry, const FetchResult& result, bool had_copy, const OutcomeNow& now,
                      const OutcomePolicy& policy) {
    OutcomeEffects effects;
    effects.warn = true;
    if (policy.shutting_down) {
        effects.log = "abandoned: the server is shutting down";
        return effects;
    }
    entry.failures += 1;
    // A file too large for the cache stays so until the origin's copy changes:
    // remembered for the longest backoff at once, not asked for every few seconds.
    const auto delay = result.status == FetchStatus::too_large
                           ? policy.retry_max
                           : backoff_delay(entry.failures, policy.retry_min, policy.retry_max);
    entry.retry_at = now.steady + delay;
    if (!result.message.empty())
        entry.error_message = result.message;
    else if (result.status == FetchStatus::too_large)
        entry.error_message = fmt::format("file is larger than the maximum file size ({} bytes)", policy.max_file_size);
    else
        entry.error_message = fmt::format("fetch failed: {}", origins::to_string(result.status));
    effects.log = fmt::format("failed ({}): {}; next try in {} s{}", origins::to_string(result.status),
                              entry.error_message, delay.count(),
                              had_copy ? "; the cached copy keeps serving" : "");
    return effects;
}

}  // namespace

OutcomeEffects apply_outcome(Entry& entry, const FetchAttempt& attempt, const FetchResult& result,
                             const OutcomeNow& now, const OutcomePolicy& policy) {
    const bool had_copy = attempt.revalidation;
    switch (result.status) {
    case FetchStatus::ok:
        return new_copy(entry, attempt, result, now);
    case FetchStatus::not_modified:
        if (!attempt.conditional) {
            FetchResult wrong = result;
            wrong.status = FetchStatus::origin_error;
            wrong.message = "origin answered 304 Not Modified to an unconditional request";
            return failed(entry, wrong, had_copy, now, policy);
        }
        return refresh_record(entry, attempt, result, now);
    case FetchStatus::not_found:
        // A 404 for a guessed spelling says nothing about the copy.
        if (had_copy && !attempt.key_known) return refresh_record(entry, attempt, result, now);
        return missing(entry, attempt, result, had_copy, now, policy);
    default:
        return failed(entry, result, had_copy, now, policy);
    }
}

}  // namespace cache_tier::fill
