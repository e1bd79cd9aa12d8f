// The fill engine's admin operations (list, purge, refresh) with an
// in-process scripted origin: pages in name order, a purge that voids the
// fill under way, a refresh that sends the copy's validators.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include "fill_test_support.hpp"
#include "scripted_origin.hpp"
#include "store/file_cache.hpp"
#include "store/layout.hpp"
#include "store/metadata.hpp"
#include "support/manual_clock.hpp"
#include "support/process.hpp"

namespace fill_test {
namespace {

using cache_tier::fill::CachedFilePage;
using cache_tier::fill::RefreshState;

Script file(std::string body, std::string etag = "\"v1\"") {
    Script s;
    s.body = std::move(body);
    s.etag = std::move(etag);
    return s;
}

std::vector<std::string> names_of(const CachedFilePage& page) {
    std::vector<std::string> names;
    for (const auto& f : page.files) names.push_back(f.name);
    return names;
}

class FileAdmin : public ::testing::Test {
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
    }
    void start() { engine = std::make_unique<FillEngine>(options, std::make_unique<ScriptedOrigin>(origin), clock); }
    void fill(const std::string& raw, const std::string& body = "data") {
        origin->set(raw, file(body));
        engine->ensure(name_of(raw));
        ASSERT_TRUE(engine->wait_idle(10s));
        ASSERT_TRUE(fs::exists(cache.path() / name_of(raw).local));
    }
    bool has_record(const std::string& local) {
        return cache_tier::store::MetadataStore(cache.path()).load(local).has_value();
    }
};

TEST_F(FileAdmin, ListsPagesInNameOrderUnderAPrefix) {
    start();
    for (const char* n : {"show/d.mp3", "a.mp3", "show/b.mp3", "show/c.mp3"}) fill(n);
    auto first = engine->list_cached("show/", "", 2);
    EXPECT_EQ(names_of(first), (std::vector<std::string>{"show/b.mp3", "show/c.mp3"}));
    EXPECT_TRUE(first.more);
    auto second = engine->list_cached("show/", "show/c.mp3", 2);
    EXPECT_EQ(names_of(second), (std::vector<std::string>{"show/d.mp3"}));
    EXPECT_FALSE(second.more);
    auto all = engine->list_cached("", "", 10);
    EXPECT_EQ(names_of(all).size(), 4u);
    EXPECT_EQ(all.files[0].name, "a.mp3");
    EXPECT_EQ(all.files[0].size, 4u);
    EXPECT_EQ(all.files[0].etag, "\"v1\"");
    EXPECT_EQ(all.files[0].origin_key, "a.mp3");
    EXPECT_EQ(all.files[0].fetched, clock.unix_seconds());
    EXPECT_FALSE(all.files[0].last_used) << "not tracked without max_cache_size";
}

TEST_F(FileAdmin, NamesAreTheLowerCasedLocalNamesAndKeepTheOriginKey) {
    start();
    fill("Show/Ep1.MP3");
    auto page = engine->list_cached("show/", "", 10);
    ASSERT_EQ(page.files.size(), 1u);
    EXPECT_EQ(page.files[0].name, "show/ep1.mp3");
    EXPECT_EQ(page.files[0].origin_key, "Show/Ep1.MP3");
}

TEST_F(FileAdmin, FilesFoundAtStartAreListedWithOrWithoutARecord) {
    ct_test::write_file(cache.path() / "by-hand.mp3", "operator");
    start();
    fill("fetched.mp3");
    engine.reset();
    options.max_cache_bytes = 1 << 20;  // the start-up count indexes them too
    for (int limited = 0; limited < 2; ++limited) {
        start();
        auto page = engine->list_cached("", "", 10);
        ASSERT_EQ(names_of(page), (std::vector<std::string>{"by-hand.mp3", "fetched.mp3"})) << limited;
        EXPECT_FALSE(page.files[0].fetched);
        EXPECT_TRUE(page.files[1].fetched);
        engine.reset();
        options.max_cache_bytes = 0;
    }
}

TEST_F(FileAdmin, AFileDeletedByHandIsNotListedAndThePageStillFills) {
    start();
    for (const char* n : {"a", "b", "c"}) fill(n);
    fs::remove(cache.path() / "a");
    auto page = engine->list_cached("", "", 2);
    EXPECT_EQ(names_of(page), (std::vector<std::string>{"b", "c"}));
    EXPECT_FALSE(page.more);
}

TEST_F(FileAdmin, PurgeRemovesCopyAndRecordThenTheNextRequestFillsAgain) {
    start();
    fill("ep.mp3");
    ASSERT_TRUE(has_record("ep.mp3"));
    const auto done = engine->purge("ep.mp3");
    EXPECT_TRUE(done.removed_copy);
    EXPECT_FALSE(done.discarded_fill);
    EXPECT_FALSE(fs::exists(cache.path() / "ep.mp3"));
    EXPECT_FALSE(has_record("ep.mp3"));
    EXPECT_TRUE(engine->list_cached("", "", 10).files.empty());
    EXPECT_EQ(engine->ensure(name_of("ep.mp3")).state, FileState::filling);
    ASSERT_TRUE(engine->wait_idle(10s));
    EXPECT_EQ(origin->count("ep.mp3"), 2);
    EXPECT_EQ(names_of(engine->list_cached("", "", 10)), (std::vector<std::string>{"ep.mp3"}));
}

TEST_F(FileAdmin, PurgeForgetsAnOrigin404) {
    start();
    EXPECT_EQ(ensure_and_wait(*engine, "late.mp3").state, FileState::not_found);
    origin->set("late.mp3", file("now there"));
    const auto done = engine->purge("late.mp3");
    EXPECT_TRUE(done.cleared_miss);
    EXPECT_FALSE(done.removed_copy);
    EXPECT_EQ(ensure_and_wait(*engine, "late.mp3").state, FileState::cached);
}

TEST_F(FileAdmin, PurgeOfAnUnknownNameDoesNothing) {
    start();
    EXPECT_FALSE(engine->purge("never.mp3").anything());
}

TEST_F(FileAdmin, PurgeDuringAFillDiscardsWhatItFetches) {
    start();
    Script held = file("new episode");
    held.held = true;
    origin->set("ep.mp3", held);
    EXPECT_EQ(engine->ensure(name_of("ep.mp3")).state, FileState::filling);
    ASSERT_TRUE(origin->wait_at_gate(1, 10s));
    const auto done = engine->purge("ep.mp3");
    EXPECT_TRUE(done.discarded_fill);
    EXPECT_EQ(engine->streaming_file(name_of("ep.mp3")), nullptr) << "not offered once purged";
    origin->open_gate();
    ASSERT_TRUE(engine->wait_idle(10s));
    EXPECT_FALSE(fs::exists(cache.path() / "ep.mp3")) << "the purged fill's result must not appear";
    EXPECT_FALSE(has_record("ep.mp3"));
    EXPECT_TRUE(fs::is_empty(cache.path() / cache_tier::store::kTempDir));
    EXPECT_TRUE(engine->list_cached("", "", 10).files.empty());
    // Not a failure of the origin: no backoff, the next request fills it.
    origin->set("ep.mp3", file("new episode"));
    EXPECT_EQ(ensure_and_wait(*engine, "ep.mp3").state, FileState::cached);
}

TEST_F(FileAdmin, ARequestWhileAPurgedFillStillRunsFillsAgainOnceItEnds) {
    start();
    Script held = file("old episode");
    held.held = true;
    origin->set("ep.mp3", held);
    engine->ensure(name_of("ep.mp3"));
    ASSERT_TRUE(origin->wait_at_gate(1, 10s));
    EXPECT_TRUE(engine->purge("ep.mp3").discarded_fill);
    {
        std::lock_guard lock(origin->mutex);
        EXPECT_TRUE(origin->requests.back().is_cancelled()) << "the purged fill's fetch is told to stop";
    }
    // The origin has a new version; a /verify comes before the old fill has ended.
    origin->set("ep.mp3", file("new episode"));
    EXPECT_EQ(engine->ensure(name_of("ep.mp3")).state, FileState::filling);
    origin->open_gate();
    // Before: the request joined the voided fill, which placed nothing, and no
    // fill followed until another request.
    ASSERT_TRUE(engine->wait_idle(10s));
    ASSERT_TRUE(fs::exists(cache.path() / "ep.mp3"));
    EXPECT_EQ(ct_test::read_file(cache.path() / "ep.mp3"), "new episode");
    EXPECT_EQ(origin->count("ep.mp3"), 2);
}

TEST_F(FileAdmin, ASecondPurgeVoidsTheRequestMadeAfterTheFirst) {
    start();
    Script held = file("old");
    held.held = true;
    origin->set("ep.mp3", held);
    engine->ensure(name_of("ep.mp3"));
    ASSERT_TRUE(origin->wait_at_gate(1, 10s));
    engine->purge("ep.mp3");
    engine->ensure(name_of("ep.mp3"));  // would fill again once the voided fill ends...
    EXPECT_TRUE(engine->purge("ep.mp3").anything());  // ...but is purged as a queued fill is
    origin->open_gate();
    ASSERT_TRUE(engine->wait_idle(10s));
    EXPECT_FALSE(fs::exists(cache.path() / "ep.mp3"));
    EXPECT_EQ(origin->count("ep.mp3"), 1);
}

TEST_F(FileAdmin, ARequestWhileAPurgedFillStillWaitsFillsAgain) {
    options.workers = 1;
    start();
    Script held = file("first");
    held.held = true;
    origin->set("first", held);
    origin->set("second", file("second"));
    engine->ensure(name_of("first"));
    ASSERT_TRUE(origin->wait_at_gate(1, 10s));
    engine->ensure(name_of("second"));
    EXPECT_TRUE(engine->purge("second").discarded_fill);
    EXPECT_EQ(engine->ensure(name_of("second")).state, FileState::filling);
    origin->open_gate();
    ASSERT_TRUE(engine->wait_idle(10s));
    EXPECT_TRUE(fs::exists(cache.path() / "second"));
    EXPECT_EQ(origin->count("second"), 1) << "the voided job never ran; the new one did";
}

TEST_F(FileAdmin, AQueuedFillPurgedNeverReachesTheOrigin) {
    options.workers = 1;
    start();
    Script held = file("first");
    held.held = true;
    origin->set("first", held);
    origin->set("second", file("second"));
    engine->ensure(name_of("first"));
    ASSERT_TRUE(origin->wait_at_gate(1, 10s));
    EXPECT_EQ(engine->ensure(name_of("second")).state, FileState::filling);
    EXPECT_TRUE(engine->purge("second").discarded_fill);
    origin->open_gate();
    ASSERT_TRUE(engine->wait_idle(10s));
    EXPECT_EQ(origin->count("second"), 0);
    EXPECT_FALSE(fs::exists(cache.path() / "second"));
}

TEST_F(FileAdmin, PrefixPurgeRemovesOnlyTheNamesUnderIt) {
    start();
    for (const char* n : {"show/a", "show/b", "showcase", "other"}) fill(n);
    EXPECT_EQ(engine->purge_prefix("show/"), 2u);
    EXPECT_EQ(names_of(engine->list_cached("", "", 10)), (std::vector<std::string>{"other", "showcase"}));
    EXPECT_FALSE(fs::exists(cache.path() / "show/a"));
    EXPECT_FALSE(has_record("show/b"));
    EXPECT_EQ(engine->purge_prefix("show/"), 0u);
}

TEST_F(FileAdmin, PrefixPurgeDiscardsAFillUnderWay) {
    start();
    Script held = file("x");
    held.held = true;
    origin->set("show/new", held);
    engine->ensure(name_of("show/new"));
    ASSERT_TRUE(origin->wait_at_gate(1, 10s));
    engine->purge_prefix("show/");
    origin->open_gate();
    ASSERT_TRUE(engine->wait_idle(10s));
    EXPECT_FALSE(fs::exists(cache.path() / "show/new"));
}

TEST_F(FileAdmin, RefreshSendsTheValidatorsAndReplacesAChangedFile) {
    start();
    fill("ep.mp3", "old");
    origin->set("ep.mp3", file("new content", "\"v2\""));
    EXPECT_EQ(engine->refresh(name_of("ep.mp3")), RefreshState::queued);
    ASSERT_TRUE(engine->wait_idle(10s));
    const auto requests = origin->all_requests();
    ASSERT_EQ(requests.size(), 2u);
    EXPECT_EQ(requests.back().validators.etag, "\"v1\"");
    EXPECT_EQ(ct_test::read_file(cache.path() / "ep.mp3"), "new content");
    EXPECT_EQ(engine->list_cached("", "", 1).files.at(0).etag, "\"v2\"");
}

TEST_F(FileAdmin, AFileRefreshedOrGoneIsServedSoAtOnceByEveryThread) {
    // A server thread's open files, trusted for an hour here: only the
    // engine's word can make it look again.
    cache_tier::store::FileCache files(cache.path().string(), {}, std::chrono::hours(1));
    start();
    fill("ep.mp3", "old");
    ASSERT_EQ(files.open("ep.mp3").file->size, 3u);
    origin->set("ep.mp3", file("new content", "\"v2\""));
    EXPECT_EQ(engine->refresh(name_of("ep.mp3")), RefreshState::queued);
    ASSERT_TRUE(engine->wait_idle(10s));
    // Before: the old copy was served for up to a second after the refresh.
    auto opened = files.open("ep.mp3");
    ASSERT_TRUE(opened.file);
    EXPECT_EQ(opened.file->size, 11u) << "the new version, not the descriptor of the old one";
    origin->set("ep.mp3", Script{.status = FetchStatus::not_found, .http_status = 404});
    EXPECT_EQ(engine->refresh(name_of("ep.mp3")), RefreshState::queued);
    ASSERT_TRUE(engine->wait_idle(10s));
    EXPECT_EQ(files.open("ep.mp3").status, cache_tier::store::OpenStatus::not_found) << "gone from the origin";
}

TEST_F(FileAdmin, RefreshOfAnUnchangedFileKeepsTheSameCopy) {
    start();
    fill("ep.mp3", "same");
    struct stat before {};
    ASSERT_EQ(::stat((cache.path() / "ep.mp3").c_str(), &before), 0);
    clock.advance(100s);
    EXPECT_EQ(engine->refresh(name_of("ep.mp3")), RefreshState::queued);
    ASSERT_TRUE(engine->wait_idle(10s));
    struct stat after {};
    ASSERT_EQ(::stat((cache.path() / "ep.mp3").c_str(), &after), 0);
    EXPECT_EQ(before.st_ino, after.st_ino) << "a 304 keeps the copy";
    EXPECT_EQ(engine->list_cached("", "", 1).files.at(0).fetched, clock.unix_seconds());
}

TEST_F(FileAdmin, RefreshNeedsACopyAndNoFillUnderWay) {
    start();
    EXPECT_EQ(engine->refresh(name_of("none.mp3")), RefreshState::not_cached);
    fill("ep.mp3");
    Script held = file("data", "\"v9\"");
    held.held = true;
    origin->set("ep.mp3", held);
    EXPECT_EQ(engine->refresh(name_of("ep.mp3")), RefreshState::queued);
    EXPECT_EQ(engine->refresh(name_of("ep.mp3")), RefreshState::busy);
    origin->open_gate();
    ASSERT_TRUE(engine->wait_idle(10s));
}

}  // namespace
}  // namespace fill_test
