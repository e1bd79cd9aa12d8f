#include "fill/fill_journal.hpp"

namespace cache_tier::fill {

using origins::FetchStatus;
using metrics::FillFailure;

std::optional<FillFailure> failure_of(const origins::FetchResult& result) {
    switch (result.status) {
        case FetchStatus::ok:
        case FetchStatus::not_modified: return std::nullopt;
        case FetchStatus::not_found: return FillFailure::not_found;
        case FetchStatus::refused: return FillFailure::refused;
        case FetchStatus::too_large: return FillFailure::too_large;
        case FetchStatus::origin_error: return FillFailure::origin_error;
        case FetchStatus::timeout: return FillFailure::timeout;
        case FetchStatus::connection_error: return FillFailure::connection_error;
        case FetchStatus::short_body: return FillFailure::short_body;
        case FetchStatus::local_error:
            return result.message == origins::kFetchCancelled ? FillFailure::cancelled : FillFailure::disk;
    }
    return FillFailure::disk;
}

void FillJournal::fetched(const std::string& key, const origins::FetchResult& result, double seconds,
                          std::int64_t now) {
    metrics::origin_fetch(seconds, result.bytes);
    const auto failure = failure_of(result);
    if (!failure) {
        metrics::fill_succeeded();
    } else {
        metrics::fill_failed(*failure);
        // Not the origin's doing, nor news to an operator: not listed.
        if (*failure != FillFailure::cancelled)
            remember({now, key, std::string(metrics::to_string(*failure)), result.message});
    }
    note_contact(result, now);
}

void FillJournal::probed(const origins::FetchResult& result, std::int64_t now) { note_contact(result, now); }

void FillJournal::note_contact(const origins::FetchResult& result, std::int64_t now) {
    std::lock_guard lock(mutex_);
    if (result.status == FetchStatus::timeout || result.status == FetchStatus::connection_error) {
        contact_.last_unreachable = now;
        contact_.unreachable_message = result.message;
    } else if (result.status != FetchStatus::local_error || result.http_status != 0) {
        contact_.last_answer = now;  // a local failure says nothing of the origin, unless it had answered
    }
}

void FillJournal::remember(FillError error) {
    std::lock_guard lock(mutex_);
    if (errors_.size() == kRecentErrors) errors_.pop_front();
    errors_.push_back(std::move(error));
}

std::vector<FillError> FillJournal::recent_errors() const {
    std::lock_guard lock(mutex_);
    return {errors_.begin(), errors_.end()};
}

OriginContact FillJournal::origin_contact() const {
    std::lock_guard lock(mutex_);
    return contact_;
}

}  // namespace cache_tier::fill
