// The hard cap and the free-space floor: reserving room evicts least recently
// used files, just enough of them, never one being filled, and refuses
// clearly when it cannot; a fill reserves before it writes and as a file of
// unknown length grows. The free space is scripted, not read off a disk.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <unistd.h>

#include "fill/cache_accounting.hpp"
#include "common/unique_fd.hpp"
#include "fill/space_reservation.hpp"
#include "fill_test_support.hpp"
#include "scripted_origin.hpp"
#include "store/metadata.hpp"
#include "support/disk_usage.hpp"
#include "support/manual_clock.hpp"
#include "support/process.hpp"

namespace fill_test {
namespace {

using cache_tier::Status;
using cache_tier::fill::CacheAccounting;
using cache_tier::fill::Entry;
using cache_tier::fill::FileSystemSpace;
using cache_tier::fill::FileTable;
using cache_tier::fill::Phase;
using cache_tier::fill::SpaceLimits;
using cache_tier::fill::SpaceReservation;

// ---- The accounting alone, over entries it is told of ------------------------

class Reserving : public ::testing::Test {
protected:
    ct_test::TempDir cache;
    ct_test::ManualClock clock;
    FileTable table;
    cache_tier::store::MetadataStore records{cache.path()};
    cache_tier::UniqueFd dir{::open(cache.path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
    FileSystemSpace space{1'000'000, 10'000'000};
    int probes = 0;

    std::unique_ptr<CacheAccounting> accounting(SpaceLimits limits) {
        return std::make_unique<CacheAccounting>(limits, cache.path(), dir.get(), table, records, clock, [this] {
            ++probes;
            return std::optional(space);
        });
    }
    // A cached file of `size` bytes, last used at `used`; on disk too, so eviction removes it.
    void cached(CacheAccounting& a, const std::string& name, std::uint64_t size, std::int64_t used) {
        ct_test::write_file(cache / name, "x");
        auto shard = table.lock(name);
        Entry& e = shard.get(name, clock.steady_now());
        a.count(e, size);
        e.last_used = used;
    }
    bool counted(const std::string& name) {
        auto shard = table.lock(name);
        Entry* e = shard.find(name);
        return e && e->counted;
    }
};

TEST_F(Reserving, UnderTheCapNothingIsEvicted) {
    auto a = accounting({.max_bytes = 100000});
    cached(*a, "a", 30000, 1);
    ASSERT_TRUE(a->reserve(70000).ok());
    EXPECT_EQ(a->reserved_bytes(), 70000u);
    EXPECT_EQ(a->evictions(), 0u);
    a->release(70000);
    EXPECT_EQ(a->reserved_bytes(), 0u);
    EXPECT_EQ(probes, 0);  // no floor: the file system is not asked
}

TEST_F(Reserving, OverTheCapTheLeastRecentlyUsedGoJustEnough) {
    auto a = accounting({.max_bytes = 100000});
    cached(*a, "new", 30000, 300);
    cached(*a, "old", 30000, 100);
    cached(*a, "mid", 30000, 200);
    // 90000 counted + 40000 is 30000 over: the oldest file is enough.
    ASSERT_TRUE(a->reserve(40000).ok());
    EXPECT_FALSE(counted("old"));
    EXPECT_FALSE(fs::exists(cache / "old"));
    EXPECT_TRUE(counted("mid"));
    EXPECT_TRUE(counted("new"));
    EXPECT_EQ(a->evictions(), 1u);
    EXPECT_EQ(a->bytes() + a->reserved_bytes(), 100000u);
    // Reservations count like files: another 1 byte takes the next oldest.
    ASSERT_TRUE(a->reserve(1).ok());
    EXPECT_FALSE(counted("mid"));
    EXPECT_EQ(a->evictions(), 2u);
}

TEST_F(Reserving, AFileBeingFilledIsNeverEvictedAndNothingGoesInVain) {
    auto a = accounting({.max_bytes = 100000});
    cached(*a, "filling", 50000, 1);
    cached(*a, "idle", 30000, 2);
    {
        auto shard = table.lock("filling");
        shard.find("filling")->phase = Phase::running;
    }
    // 80000 counted + 50000 is 30000 over: only "idle" may go.
    ASSERT_TRUE(a->reserve(50000).ok());
    EXPECT_TRUE(counted("filling"));
    EXPECT_FALSE(counted("idle"));
    // Now only the pinned file and the reservation: no room, and nothing evicted for it.
    Status refused = a->reserve(1);
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().message,
              "no room in the cache for 1 more bytes: 50000 bytes in use and 50000 reserved by fills in progress, "
              "max_cache_size 100000 bytes");
    EXPECT_TRUE(counted("filling"));
    EXPECT_EQ(a->reserved_bytes(), 50000u);
}

TEST_F(Reserving, AFileLargerThanTheCapIsToldApartFromABusyCache) {
    auto a = accounting({.max_bytes = 100000});
    EXPECT_FALSE(a->larger_than_cache(100000));
    EXPECT_TRUE(a->larger_than_cache(100001));
    auto none = accounting({});
    EXPECT_FALSE(none->active());
    EXPECT_FALSE(none->larger_than_cache(UINT64_MAX));
    EXPECT_TRUE(none->reserve(UINT64_MAX).ok());  // nothing counted: nothing refused
    EXPECT_EQ(none->reserved_bytes(), 0u);
}

TEST_F(Reserving, TheFreeSpaceFloorEvictsAsTheCapDoes) {
    auto a = accounting({.min_free_bytes = 100000});
    cached(*a, "old", 60000, 1);
    cached(*a, "new", 60000, 2);
    space.available = 250000;
    // 100000 kept + 100000 asked <= 250000 free.
    ASSERT_TRUE(a->reserve(100000).ok());
    // Reserved room is not free room: 100000 kept + 100000 held + 80000 > 250000, by 30000: "old" goes.
    ASSERT_TRUE(a->reserve(80000).ok());
    EXPECT_FALSE(counted("old"));
    EXPECT_TRUE(counted("new"));
    // More than evicting everything could give: refused, "new" stays.
    Status refused = a->reserve(200000);
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().message,
              "not enough free disk space for 200000 more bytes: 250000 bytes free on the cache's file system, "
              "180000 reserved by fills in progress, min_free 100000 bytes");
    EXPECT_TRUE(counted("new"));
}

TEST_F(Reserving, AFloorInPercentIsTakenOfTheFileSystemsSize) {
    auto a = accounting({.min_free_percent = 5});
    space = {700000, 10'000'000};
    EXPECT_EQ(a->min_free(), 500000u);
    EXPECT_TRUE(a->reserve(200000).ok());
    EXPECT_FALSE(a->reserve(1).ok());
}

TEST_F(Reserving, AnUnreadableFileSystemRefusesWithAReason) {
    auto a = std::make_unique<CacheAccounting>(SpaceLimits{.min_free_bytes = 1}, cache.path(), dir.get(), table, records,
                                               clock, [] { return std::optional<FileSystemSpace>(); });
    Status refused = a->reserve(10);
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().message, "cannot read the free space of the cache's file system");
}

TEST_F(Reserving, EverythingBeneathTheCacheDirectoryIsCountedAtStart) {
    ASSERT_TRUE(records.prepare().ok());
    ct_test::write_file(cache / "a.bin", std::string(5000, 'a'));
    ct_test::write_file(cache / "sub/b.bin", std::string(70000, 'b'));
    ct_test::write_file(cache / ".cache-tier/other", std::string(3000, 's'));
    auto a = accounting({.max_bytes = 1'000'000});
    a->count_existing_files();
    EXPECT_EQ(a->files(), 2u);
    EXPECT_EQ(a->bytes(), ct_test::disk_usage(cache.path()));
}

TEST(FillFootprint, IsTheFileRecordAndFoldersInWholeBlocks) {
    using cache_tier::fill::fill_footprint;
    // 10000 bytes: 3 blocks, 1 for the extents, 1 for a 300-byte record, 3 folders.
    EXPECT_EQ(fill_footprint(10000, 300, 0, 4096), (3 + 1 + 1 + 3) * 4096u);
    EXPECT_EQ(fill_footprint(0, 0, 2, 4096), (0 + 1 + 0 + 5) * 4096u);
    EXPECT_EQ(fill_footprint(8192, 4097, 0, 4096), (2 + 1 + 2 + 3) * 4096u);
}

// ---- A fill's reservation in the engine ---------------------------------------

Script sized(std::size_t size, bool no_length = false) {
    Script s;
    s.body = std::string(size, 'b');
    s.etag = "\"e\"";
    s.no_length = no_length;
    return s;
}

class FillReservation : public ::testing::Test {
protected:
    ct_test::TempDir cache;
    ct_test::ManualClock clock;
    std::shared_ptr<ScriptedOrigin::State> origin = std::make_shared<ScriptedOrigin::State>();
    FillOptions options = options_for(cache.path());
    std::unique_ptr<FillEngine> engine;

    void start() { engine = std::make_unique<FillEngine>(options, std::make_unique<ScriptedOrigin>(origin), clock); }
    FileStatus settle(const std::string& raw) {
        engine->ensure(name_of(raw));
        EXPECT_TRUE(engine->wait_idle(10s));
        return engine->ensure(name_of(raw));
    }
};

TEST_F(FillReservation, AFileWithoutALengthIsReservedAsItGrows) {
    options.max_cache_bytes = 4 << 20;
    origin->set("grows.bin", sized(2'500'000, true));
    origin->set("endless.bin", sized(6 << 20, true));
    start();
    EXPECT_TRUE(settle("grows.bin").available());
    EXPECT_EQ(fs::file_size(cache / "grows.bin"), 2'500'000u);
    EXPECT_EQ(engine->usage().reserved, 0u);

    // Past what the cap could ever hold, the reservation stops the fetch
    // before it writes more: nothing is kept, the file is remembered as too
    // large, and the cached file stays.
    FileStatus status = settle("endless.bin");
    EXPECT_EQ(status.state, FileState::failed);
    EXPECT_EQ(status.error_message, "file is larger than the cache (max_cache_size 4194304 bytes)");
    EXPECT_FALSE(fs::exists(cache / "endless.bin"));
    EXPECT_TRUE(temp_files(cache.path()).empty());
    EXPECT_EQ(engine->usage().reserved, 0u);
    EXPECT_LE(ct_test::disk_usage(cache.path()), options.max_cache_bytes);
}

TEST_F(FillReservation, AFileLargerThanTheCacheIsNotFetchedAgainAndAgain) {
    options.max_cache_bytes = 1 << 20;
    options.retry_min = 5s;
    options.retry_max = 600s;
    origin->set("big.bin", sized((1 << 20) - 1000));  // under the cap, not with its record and folders
    start();
    FileStatus status = settle("big.bin");
    EXPECT_EQ(status.state, FileState::failed);
    EXPECT_EQ(status.error_message, "file is larger than the cache (max_cache_size 1048576 bytes)");
    for (int i = 0; i < 5; ++i) {
        clock.advance(60s);  // well past retry_min
        EXPECT_EQ(settle("big.bin").state, FileState::failed);
    }
    EXPECT_EQ(origin->count("big.bin"), 1);
    clock.advance(600s);  // retry_max: the origin's copy may have changed
    settle("big.bin");
    EXPECT_EQ(origin->count("big.bin"), 2);
}

TEST_F(FillReservation, WhenTheRestIsAllBeingFilledTheFillFailsClearlyAndUsersGoToTheOrigin) {
    options.max_cache_bytes = 1 << 20;
    Script held = sized(600000);
    held.held_mid_body = true;
    origin->set("first.bin", held);
    origin->set("second.bin", sized(600000));
    start();
    engine->ensure(name_of("first.bin"));
    ASSERT_TRUE(origin->wait_at_gate(1, 10s));  // first.bin holds its room, half written
    EXPECT_GE(engine->usage().reserved, 600000u);
    // The other fill runs on the second worker while the first holds its room.
    FileStatus second = engine->ensure(name_of("second.bin"));
    for (auto deadline = std::chrono::steady_clock::now() + 10s;
         second.state == FileState::filling && std::chrono::steady_clock::now() < deadline;)
        second = engine->ensure(name_of("second.bin"));
    EXPECT_EQ(second.state, FileState::failed);
    EXPECT_NE(second.error_message.find("no room in the cache for "), std::string::npos) << second.error_message;
    EXPECT_NE(second.error_message.find("reserved by fills in progress, max_cache_size 1048576 bytes"),
              std::string::npos)
        << second.error_message;
    EXPECT_EQ(engine->usage().evictions, 0u);
    origin->open_gate();
    ASSERT_TRUE(engine->wait_idle(10s));
    EXPECT_TRUE(engine->ensure(name_of("first.bin")).available());
    EXPECT_EQ(engine->usage().reserved, 0u);
    EXPECT_EQ(engine->usage().files, 1u);
    EXPECT_EQ(engine->usage().limit, 1u << 20);
    EXPECT_EQ(engine->usage().bytes, ct_test::disk_usage(cache.path()));
}

// A new version that fits only without the old one: the stale copy makes
// way once the origin's 200 is in, instead of the refresh failing "no room"
// and the stale copy being served on and on. The cap holds throughout.
TEST_F(FillReservation, ANewVersionTakesTheRoomOfTheStaleCopy) {
    options.max_cache_bytes = 1 << 20;
    Script v1 = sized(200'000);
    origin->set("ep.bin", v1);
    start();
    ASSERT_TRUE(settle("ep.bin").available());
    Script v2 = sized(850'000);
    v2.body = std::string(850'000, 'n');
    v2.etag = "\"v2\"";
    origin->set("ep.bin", v2);
    EXPECT_EQ(engine->refresh(name_of("ep.bin")), cache_tier::fill::RefreshState::queued);
    ASSERT_TRUE(engine->wait_idle(10s));
    FileStatus status = engine->ensure(name_of("ep.bin"));
    EXPECT_TRUE(status.available()) << status.error_message;
    EXPECT_TRUE(ct_test::read_file(cache / "ep.bin") == std::string(850'000, 'n')) << "the new version is not in place";
    EXPECT_EQ(engine->usage().reserved, 0u);
    EXPECT_EQ(engine->usage().files, 1u);
    EXPECT_EQ(engine->usage().bytes, ct_test::disk_usage(cache.path()));
    EXPECT_LE(ct_test::disk_usage(cache.path()), options.max_cache_bytes);
}

// If that new version then fails to arrive whole, nothing stale or partial
// is served, and the next request fetches the file again.
TEST_F(FillReservation, ANewVersionCutShortAfterTheStaleCopyMadeWayIsFetchedAgain) {
    options.max_cache_bytes = 1 << 20;
    options.retry_min = 5s;
    origin->set("ep.bin", sized(200'000));
    start();
    ASSERT_TRUE(settle("ep.bin").available());
    Script cut = sized(850'000);
    cut.etag = "\"v2\"";
    cut.status = FetchStatus::short_body;
    cut.message = "origin closed the connection early";
    origin->set("ep.bin", cut);
    EXPECT_EQ(engine->refresh(name_of("ep.bin")), cache_tier::fill::RefreshState::queued);
    ASSERT_TRUE(engine->wait_idle(10s));
    EXPECT_FALSE(fs::exists(cache / "ep.bin"));
    EXPECT_TRUE(temp_files(cache.path()).empty());
    EXPECT_FALSE(engine->ensure(name_of("ep.bin"), std::nullopt).available());
    Script whole = sized(850'000);
    whole.etag = "\"v2\"";
    origin->set("ep.bin", whole);
    clock.advance(600s);  // past any backoff
    FileStatus status = settle("ep.bin");
    EXPECT_TRUE(status.available()) << status.error_message;
    EXPECT_EQ(fs::file_size(cache / "ep.bin"), 850'000u);
    EXPECT_EQ(engine->usage().bytes, ct_test::disk_usage(cache.path()));
    EXPECT_LE(ct_test::disk_usage(cache.path()), options.max_cache_bytes);
}

}  // namespace
}  // namespace fill_test
