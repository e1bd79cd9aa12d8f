// What a finished fetch means for a file, as a pure function: each case gives
// an entry and a fetch result and checks the entry and the disk work asked for.
#include "fill/outcome.hpp"

#include <gtest/gtest.h>

namespace cache_tier::fill {
namespace {

using namespace std::chrono_literals;
using origins::FetchResult;
using origins::FetchStatus;

const OutcomeNow kNow{steady::time_point(1000s), 1'767'225'600, 1'767'225'600'000'000'000};
const OutcomePolicy kPolicy{300s, 10s, 60s, 0, false};

FetchResult result_of(FetchStatus status, int http_status = 200, std::string message = "") {
    FetchResult r;
    r.status = status;
    r.http_status = http_status;
    r.message = std::move(message);
    return r;
}

Entry cached_entry(std::string key = "Ep.MP3") {
    Entry e;
    e.meta = store::FileMeta{"\"v1\"", "Sun, 06 Nov 1994 08:49:37 GMT", 5, 1, std::move(key)};
    return e;
}

TEST(Outcome, A200RecordsTheKeyAskedForAndClearsFailuresAndMisses) {
    Entry e;
    e.failures = 3;
    e.error_message = "old";
    e.remember_miss(Miss{"ep.mp3", kNow.steady + 10s, "no"});
    FetchResult r = result_of(FetchStatus::ok);
    r.bytes = 5;
    r.etag = "\"v2\"";
    auto effects = apply_outcome(e, {"Ep.MP3", false, false, true}, r, kNow, kPolicy);
    ASSERT_TRUE(effects.save_record);
    EXPECT_EQ(effects.save_record->origin_key, "Ep.MP3");
    EXPECT_EQ(effects.save_record->etag, "\"v2\"");
    EXPECT_EQ(effects.save_record->fetched_at, kNow.unix_seconds);
    EXPECT_EQ(effects.count_size, 5u);
    EXPECT_EQ(e.failures, 0u);
    EXPECT_TRUE(e.error_message.empty());
    EXPECT_TRUE(e.misses.empty());
    EXPECT_EQ(e.last_used, kNow.unix_nanoseconds);
}

TEST(Outcome, A304UpdatesTheValidatorsItCarriesAndKeepsTheOthers) {
    Entry e = cached_entry();
    FetchResult r = result_of(FetchStatus::not_modified, 304);
    r.etag = "\"v1b\"";
    auto effects = apply_outcome(e, {"Ep.MP3", true, true, true}, r, kNow, kPolicy);
    ASSERT_TRUE(effects.save_record);
    EXPECT_EQ(effects.save_record->etag, "\"v1b\"");  // RFC 9111 §4.3.4
    EXPECT_EQ(effects.save_record->last_modified, "Sun, 06 Nov 1994 08:49:37 GMT");
    EXPECT_EQ(effects.save_record->fetched_at, kNow.unix_seconds);
    EXPECT_FALSE(effects.remove_copy);
}

TEST(Outcome, A304ToAnUnconditionalRequestIsAnOriginFault) {
    Entry e;
    auto effects = apply_outcome(e, {"a", false, false, true}, result_of(FetchStatus::not_modified, 304), kNow, kPolicy);
    EXPECT_FALSE(effects.save_record);
    EXPECT_EQ(e.error_message, "origin answered 304 Not Modified to an unconditional request");
    EXPECT_EQ(e.retry_at, kNow.steady + 10s);
}

TEST(Outcome, A404ForTheKnownKeyRemovesTheCopyAndRemembersTheMiss) {
    Entry e = cached_entry();
    FetchResult gone = result_of(FetchStatus::not_found, 404, "origin answered 404 Not Found: NoSuchKey");
    gone.answer = "404 Not Found";
    gone.origin_code = "NoSuchKey";  // the reason travels as data, not inside the message
    auto effects = apply_outcome(e, {"Ep.MP3", true, true, true}, gone, kNow, kPolicy);
    EXPECT_TRUE(effects.remove_copy);
    EXPECT_TRUE(effects.remove_record);
    EXPECT_TRUE(effects.uncount);
    EXPECT_FALSE(e.meta);
    const Miss* miss = e.miss_of("Ep.MP3", kNow.steady);
    ASSERT_NE(miss, nullptr);
    EXPECT_EQ(miss->message, "origin has no file 'Ep.MP3' (404 Not Found: NoSuchKey)");
    EXPECT_EQ(miss->until, kNow.steady + 300s);
    EXPECT_EQ(e.miss_of("ep.mp3", kNow.steady), nullptr);  // another spelling is not blocked
}

TEST(Outcome, A404ForAGuessedSpellingKeepsTheCopy) {
    Entry e = cached_entry("");
    auto effects = apply_outcome(e, {"ep.mp3", true, true, false}, result_of(FetchStatus::not_found, 404), kNow,
                                 kPolicy);
    EXPECT_FALSE(effects.remove_copy);
    EXPECT_FALSE(effects.remove_record);
    ASSERT_TRUE(e.meta);
    EXPECT_EQ(e.meta->fetched_at, kNow.unix_seconds);  // not asked again before revalidate_after
}

TEST(Outcome, FailuresBackOffDoublingUpToTheMaximum) {
    Entry e;
    std::vector<std::chrono::seconds> delays;
    for (int i = 0; i < 5; ++i) {
        apply_outcome(e, {"a", false, false, true}, result_of(FetchStatus::origin_error, 500, "origin answered 500"),
                      kNow, kPolicy);
        delays.push_back(std::chrono::duration_cast<std::chrono::seconds>(e.retry_at - kNow.steady));
    }
    EXPECT_EQ(delays, (std::vector<std::chrono::seconds>{10s, 20s, 40s, 60s, 60s}));
    EXPECT_EQ(e.error_message, "origin answered 500");
}

TEST(Outcome, AFillAbandonedAtShutdownIsNotHeldAgainstTheFile) {
    Entry e;
    OutcomePolicy stopping = kPolicy;
    stopping.shutting_down = true;
    apply_outcome(e, {"a", false, false, true}, result_of(FetchStatus::local_error), kNow, stopping);
    EXPECT_EQ(e.failures, 0u);
    EXPECT_EQ(e.retry_at, steady::time_point{});
}

TEST(Outcome, MissesPerFileAreBounded) {
    Entry e;
    for (int i = 0; i < 20; ++i) e.remember_miss(Miss{"k" + std::to_string(i), kNow.steady + 10s, ""});
    EXPECT_EQ(e.misses.size(), kMaxMissesPerFile);
    EXPECT_EQ(e.miss_of("k0", kNow.steady), nullptr);
    EXPECT_NE(e.miss_of("k19", kNow.steady), nullptr);
}

}  // namespace
}  // namespace cache_tier::fill
