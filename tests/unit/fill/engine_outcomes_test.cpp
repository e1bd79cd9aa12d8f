// The fill engine with an in-process scripted origin and a manual clock: each
// outcome of a fetch (200, 304, 404, 5xx, short body, timeout, too large,
// queue full) and the times it is remembered for, without a process or a sleep.
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include "fill_test_support.hpp"
#include "http/response.hpp"
#include "scripted_origin.hpp"
#include "store/layout.hpp"
#include "store/metadata.hpp"
#include "support/manual_clock.hpp"
#include "support/process.hpp"

namespace fill_test {
namespace {

Script file(std::string body, std::string etag = "\"v1\"") {
    Script s;
    s.body = std::move(body);
    s.etag = std::move(etag);
    return s;
}

Script failure(FetchStatus status, int http_status, std::string message, std::string answer = "") {
    Script s;
    s.status = status;
    s.http_status = http_status;
    s.message = std::move(message);
    s.answer = std::move(answer);
    return s;
}

class EngineOutcomes : public ::testing::Test {
protected:
    ct_test::TempDir cache;
    ct_test::ManualClock clock;
    std::shared_ptr<ScriptedOrigin::State> origin = std::make_shared<ScriptedOrigin::State>();
    FillOptions options;
    std::unique_ptr<FillEngine> engine;

    void SetUp() override {
        options.cache_dir = cache.path();
        options.workers = 2;
        options.negative_ttl = 300s;
        options.retry_min = 10s;
        options.retry_max = 60s;
    }
    void start() { engine = std::make_unique<FillEngine>(options, std::make_unique<ScriptedOrigin>(origin), clock); }

    // Ask, let the fill finish, ask again.
    FileStatus settle(const std::string& raw) {
        engine->ensure(name_of(raw));
        EXPECT_TRUE(engine->wait_idle(10s));
        return engine->ensure(name_of(raw));
    }
    bool no_temp_files() const { return fs::is_empty(cache.path() / cache_tier::store::kTempDir); }
};

TEST_F(EngineOutcomes, A200IsCachedWithItsRecord) {
    origin->set("Show/Ep1.MP3", file("audio"));
    start();
    EXPECT_EQ(engine->ensure(name_of("Show/Ep1.MP3")).state, FileState::filling);
    ASSERT_TRUE(engine->wait_idle(10s));
    EXPECT_TRUE(engine->ensure(name_of("show/ep1.mp3")).available());
    EXPECT_EQ(ct_test::read_file(cache / "show/ep1.mp3"), "audio");
    auto record = cache_tier::store::MetadataStore(cache.path()).load("show/ep1.mp3");
    ASSERT_TRUE(record);
    EXPECT_EQ(record->etag, "\"v1\"");
    EXPECT_EQ(record->size, 5u);
    EXPECT_EQ(record->origin_key, "Show/Ep1.MP3");
    EXPECT_EQ(record->fetched_at, clock.unix_seconds());
    EXPECT_EQ(origin->count("Show/Ep1.MP3"), 1);
    EXPECT_TRUE(no_temp_files());
}

TEST_F(EngineOutcomes, A304KeepsTheCopyAndRevalidatesOnlyWhenItIsDue) {
    options.revalidate_after = 3600s;
    origin->set("ep.mp3", file("audio", "\"v1\""));
    start();
    ASSERT_TRUE(settle("ep.mp3").available());
    clock.advance(3599s);
    EXPECT_TRUE(engine->ensure(name_of("ep.mp3")).available());
    ASSERT_TRUE(engine->wait_idle(10s));
    EXPECT_EQ(origin->count("ep.mp3"), 1);  // not yet due

    clock.advance(2s);
    EXPECT_TRUE(engine->ensure(name_of("ep.mp3")).available());  // a stale copy serves while it is checked
    ASSERT_TRUE(engine->wait_idle(10s));
    auto requests = origin->all_requests();
    ASSERT_EQ(requests.size(), 2u);
    EXPECT_EQ(requests[1].validators.etag, "\"v1\"");
    EXPECT_EQ(ct_test::read_file(cache / "ep.mp3"), "audio");
    EXPECT_EQ(cache_tier::store::MetadataStore(cache.path()).load("ep.mp3")->fetched_at, clock.unix_seconds());
    // Fresh again for another revalidate_after.
    clock.advance(10s);
    EXPECT_TRUE(engine->ensure(name_of("ep.mp3")).available());
    ASSERT_TRUE(engine->wait_idle(10s));
    EXPECT_EQ(origin->count("ep.mp3"), 2);
}

TEST_F(EngineOutcomes, A200OnRevalidationReplacesTheCopy) {
    options.revalidate_after = 60s;
    origin->set("ep.mp3", file("old", "\"v1\""));
    start();
    ASSERT_TRUE(settle("ep.mp3").available());
    origin->set("ep.mp3", file("new bytes", "\"v2\""));
    clock.advance(61s);
    ASSERT_TRUE(settle("ep.mp3").available());
    EXPECT_EQ(ct_test::read_file(cache / "ep.mp3"), "new bytes");
    EXPECT_EQ(cache_tier::store::MetadataStore(cache.path()).load("ep.mp3")->etag, "\"v2\"");
}

TEST_F(EngineOutcomes, A404IsRememberedForTheNegativeTimeThenAskedAgain) {
    start();
    FileStatus status = settle("Missing.bin");
    EXPECT_EQ(status.state, FileState::not_found);
    EXPECT_EQ(status.error_message, "origin has no file 'Missing.bin' (404 Not Found)");
    origin->set("Missing.bin", file("here now"));
    clock.advance(299s);
    EXPECT_EQ(settle("Missing.bin").state, FileState::not_found);
    EXPECT_EQ(origin->count("Missing.bin"), 1);
    clock.advance(2s);
    EXPECT_TRUE(settle("Missing.bin").available());
    EXPECT_EQ(origin->count("Missing.bin"), 2);
}

TEST_F(EngineOutcomes, A404OnRevalidationRemovesTheCopy) {
    options.revalidate_after = 60s;
    origin->set("gone.mp3", file("audio"));
    start();
    ASSERT_TRUE(settle("gone.mp3").available());
    origin->set("gone.mp3", failure(FetchStatus::not_found, 404, "origin answered 404 Not Found", "404 Not Found"));
    clock.advance(61s);
    EXPECT_TRUE(engine->ensure(name_of("gone.mp3")).available());
    ASSERT_TRUE(engine->wait_idle(10s));
    EXPECT_FALSE(fs::exists(cache / "gone.mp3"));
    EXPECT_FALSE(cache_tier::store::MetadataStore(cache.path()).load("gone.mp3"));
    EXPECT_EQ(engine->ensure(name_of("gone.mp3")).state, FileState::not_found);
}

TEST_F(EngineOutcomes, A5xxBacksOffDoublingAndKeepsTheOriginsReason) {
    origin->set("busy.bin", failure(FetchStatus::origin_error, 503, "origin answered 503 Service Unavailable"));
    start();
    FileStatus status = settle("busy.bin");
    EXPECT_EQ(status.state, FileState::failed);
    EXPECT_EQ(status.error_message, "origin answered 503 Service Unavailable");
    clock.advance(9s);
    EXPECT_EQ(settle("busy.bin").state, FileState::failed);
    EXPECT_EQ(origin->count("busy.bin"), 1);
    clock.advance(2s);  // retry_min (10 s) passed: asked again, fails again
    EXPECT_EQ(settle("busy.bin").state, FileState::failed);
    EXPECT_EQ(origin->count("busy.bin"), 2);
    clock.advance(19s);  // the second backoff is 20 s
    EXPECT_EQ(settle("busy.bin").state, FileState::failed);
    EXPECT_EQ(origin->count("busy.bin"), 2);
    origin->set("busy.bin", file("ok now"));
    clock.advance(2s);
    EXPECT_TRUE(settle("busy.bin").available());
    EXPECT_EQ(engine->ensure(name_of("busy.bin")).error_message, "");
}

TEST_F(EngineOutcomes, AShortBodyOrATimeoutCachesNothing) {
    Script short_body = file("twelve bytes");
    short_body.status = FetchStatus::short_body;
    short_body.message = "origin closed the connection after 6 of 12 bytes";
    origin->set("short.bin", short_body);
    origin->set("slow.bin", failure(FetchStatus::timeout, 200, "origin timed out: under 1024 bytes/s for 30 s"));
    start();
    for (const char* name : {"short.bin", "slow.bin"}) {
        FileStatus status = settle(name);
        EXPECT_EQ(status.state, FileState::failed) << name;
        EXPECT_FALSE(status.error_message.empty()) << name;
        EXPECT_FALSE(fs::exists(cache / name)) << name;
    }
    EXPECT_NE(engine->ensure(name_of("short.bin")).error_message.find("6 of 12"), std::string::npos);
    EXPECT_TRUE(no_temp_files());
}

TEST_F(EngineOutcomes, TooLargeForTheFileLimitOrTheCacheIsRefusedClearly) {
    options.max_file_size = 10;
    origin->set("big.bin", file(std::string(11, 'x')));
    start();
    FileStatus status = settle("big.bin");
    EXPECT_EQ(status.state, FileState::failed);
    EXPECT_NE(status.error_message.find("over the limit of 10"), std::string::npos) << status.error_message;
    EXPECT_FALSE(fs::exists(cache / "big.bin"));

    engine.reset();
    options.max_file_size = 0;
    options.max_cache_bytes = 8;
    start();
    status = settle("big.bin");
    EXPECT_EQ(status.error_message, "file is larger than the cache (max_cache_size 8 bytes)");
}

TEST_F(EngineOutcomes, AFullQueueSaysSoAndOneFillRunsPerFile) {
    options.workers = 1;
    options.max_queued = 1;
    for (const char* key : {"a.bin", "b.bin", "c.bin"}) {
        Script s = file(key);
        s.held = true;
        origin->set(key, s);
    }
    start();
    EXPECT_EQ(engine->ensure(name_of("a.bin")).state, FileState::filling);
    // The only worker holds a.bin at the gate; b.bin takes the one place in the queue.
    ASSERT_TRUE(origin->wait_at_gate(1, 10s));
    EXPECT_EQ(engine->ensure(name_of("b.bin")).state, FileState::filling);
    FileStatus full = engine->ensure(name_of("c.bin"));
    EXPECT_EQ(full.state, FileState::queue_full);
    EXPECT_EQ(full.error_message, "too many fills waiting (1); not fetching this file now");
    // Asking again for a file being filled starts nothing new.
    EXPECT_EQ(engine->ensure(name_of("A.BIN")).state, FileState::filling);
    origin->open_gate();
    ASSERT_TRUE(engine->wait_idle(10s));
    EXPECT_EQ(origin->count("a.bin"), 1);
    EXPECT_EQ(origin->count("b.bin"), 1);
    EXPECT_EQ(origin->count("c.bin"), 0);
    EXPECT_TRUE(engine->ensure(name_of("b.bin")).available());
}

TEST_F(EngineOutcomes, AFillWithAKnownLengthCanBeServedWhileItRuns) {
    Script s = file(std::string(1000, 'a') + std::string(1000, 'b'));
    s.last_modified = "Sun, 06 Nov 1994 08:49:37 GMT";
    s.held_mid_body = true;
    origin->set("ep.mp3", s);
    start();
    EXPECT_EQ(engine->ensure(name_of("ep.mp3")).state, FileState::filling);
    ASSERT_TRUE(origin->wait_at_gate(1, 10s));  // half written, the rest held back
    auto filling = engine->streaming_file(name_of("EP.mp3"));
    ASSERT_TRUE(filling);
    EXPECT_EQ(filling->size, 2000u);
    ASSERT_TRUE(filling->growing);
    EXPECT_EQ(filling->growing->available(), 1000u);
    EXPECT_EQ(filling->last_modified, "Sun, 06 Nov 1994 08:49:37 GMT");  // the origin's
    char first[4] = {};
    ASSERT_EQ(::pread(filling->fd.get(), first, 4, 996), 4);
    EXPECT_EQ(std::string(first, 4), "aaaa");
    origin->open_gate();
    ASSERT_TRUE(engine->wait_idle(10s));
    EXPECT_EQ(filling->growing->available(), 2000u);
    EXPECT_FALSE(filling->growing->failed());
    EXPECT_FALSE(engine->streaming_file(name_of("ep.mp3")));  // cached now: served as any copy
    // The placed copy has the time the streamed one was served with.
    struct stat st {};
    ASSERT_EQ(::stat((cache / "ep.mp3").c_str(), &st), 0);
    EXPECT_EQ(st.st_mtim.tv_sec, 784111777);
}

TEST_F(EngineOutcomes, AFailedFillTellsItsStreamingReaders) {
    Script s = file(std::string(2000, 'x'));
    s.held_mid_body = true;
    s.status = FetchStatus::short_body;
    s.message = "origin closed the connection after 1000 of 2000 bytes";
    origin->set("ep.mp3", s);
    start();
    engine->ensure(name_of("ep.mp3"));
    ASSERT_TRUE(origin->wait_at_gate(1, 10s));
    auto filling = engine->streaming_file(name_of("ep.mp3"));
    ASSERT_TRUE(filling);
    bool woken = false;
    filling->growing->wait_beyond(1000, [&] { woken = true; });
    origin->open_gate();
    ASSERT_TRUE(engine->wait_idle(10s));
    EXPECT_TRUE(woken);
    EXPECT_TRUE(filling->growing->failed());
    EXPECT_FALSE(engine->streaming_file(name_of("ep.mp3")));
    EXPECT_FALSE(fs::exists(cache / "ep.mp3"));
}

}  // namespace
}  // namespace fill_test
