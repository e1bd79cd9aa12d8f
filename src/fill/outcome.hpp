#pragma once
// What a finished fetch means for a file: the state change after a fetch as a
// pure function of (entry, fetch result, now), which unit tests call directly.
// The engine does the disk work the outcome asks for. Private to src/fill.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "fill/file_table.hpp"
#include "origins/origin.hpp"

namespace cache_tier::fill {

// What was asked of the origin.
struct FetchAttempt {
    std::string key;         // the origin key asked for
    bool revalidation = false;  // checking a copy that was there when the fetch started
    bool conditional = false;   // validators were sent (If-None-Match / If-Modified-Since)
    bool key_known = true;   // `key` is the one the copy was fetched with (false: a guess, for old records)
};

struct OutcomePolicy {
    std::chrono::seconds negative_ttl{300};
    std::chrono::seconds retry_min{5};
    std::chrono::seconds retry_max{600};
    std::uint64_t max_file_size = 0;
    bool shutting_down = false;  // an abandoned fill is not the origin's fault: no backoff
};

struct OutcomeNow {
    std::chrono::steady_clock::time_point steady;
    std::int64_t unix_seconds = 0;
    std::int64_t unix_nanoseconds = 0;
};

// The disk work and accounting an outcome asks for, and the line to log.
struct OutcomeEffects {
    std::optional<store::FileMeta> save_record;  // write this metadata record
    bool remove_record = false;
    bool remove_copy = false;                    // the origin deleted the file: stop serving it
    std::optional<std::uint64_t> count_size;     // a new copy of this size is in place (the engine counts it as on disk)
    bool uncount = false;                        // the copy no longer takes space
    std::string log;                             // one line, without the "fill <key>: " prefix
    bool warn = false;                           // log it as a warning
};

// Update `entry` (all but its phase) for `result`, and say what else to do.
OutcomeEffects apply_outcome(Entry& entry, const FetchAttempt& attempt, const origins::FetchResult& result,
                             const OutcomeNow& now, const OutcomePolicy& policy);

// "origin has no file 'k' (404 Not Found: NoSuchKey)": the status and, where
// the origin gave one, its own reason.
std::string not_found_message(const std::string& key, const origins::FetchResult& result);

}  // namespace cache_tier::fill
