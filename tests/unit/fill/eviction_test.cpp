// Choosing which cached files to evict: least recently used first, down to
// the low watermark, never a pinned file.
#include "fill/eviction.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace cache_tier::fill {
namespace {

std::vector<std::string> victim_names(const std::vector<CachedFile>& files, std::uint64_t to_free) {
    std::vector<std::string> names;
    auto victims = choose_victims(files, to_free);
    if (!victims) return {"(not enough)"};
    for (std::size_t i : *victims) names.push_back(files[i].name);
    return names;
}

TEST(ChooseVictims, NothingWhenNothingIsToBeFreed) {
    std::vector<CachedFile> files = {{"a", 60, 1}, {"b", 40, 2}};
    EXPECT_TRUE(victim_names(files, 0).empty());
    EXPECT_TRUE(victim_names({}, 0).empty());
}

TEST(ChooseVictims, LeastRecentlyUsedFirstWhateverTheInputOrderAndNoMoreThanNeeded) {
    std::vector<CachedFile> files = {{"new", 30, 300}, {"old", 30, 100}, {"mid", 30, 200}, {"newest", 30, 400}};
    EXPECT_EQ(victim_names(files, 1), std::vector<std::string>({"old"}));
    EXPECT_EQ(victim_names(files, 30), std::vector<std::string>({"old"}));
    EXPECT_EQ(victim_names(files, 31), std::vector<std::string>({"old", "mid"}));
    EXPECT_EQ(victim_names(files, 120), std::vector<std::string>({"old", "mid", "new", "newest"}));
}

TEST(ChooseVictims, PinnedFilesAreNeverChosen) {
    std::vector<CachedFile> files = {{"filling", 50, 1, true}, {"revalidating", 50, 2, true}, {"idle", 50, 3}};
    EXPECT_EQ(victim_names(files, 50), std::vector<std::string>({"idle"}));
}

TEST(ChooseVictims, NoAnswerWhenEvenEveryUnpinnedFileIsNotEnough) {
    // Evicting x and y would free 20 of the 100 needed: none is evicted in vain.
    std::vector<CachedFile> files = {{"big", 200, 5, true}, {"x", 10, 1}, {"y", 10, 2}};
    EXPECT_EQ(victim_names(files, 100), std::vector<std::string>({"(not enough)"}));
    EXPECT_EQ(victim_names(files, 20), std::vector<std::string>({"x", "y"}));
    std::vector<CachedFile> all_pinned = {{"p", 200, 1, true}};
    EXPECT_EQ(victim_names(all_pinned, 1), std::vector<std::string>({"(not enough)"}));
}

TEST(ChooseVictims, TiesAreBrokenByName) {
    std::vector<CachedFile> files = {{"c", 10, 7}, {"a", 10, 7}, {"b", 10, 7}};
    EXPECT_EQ(victim_names(files, 20), std::vector<std::string>({"a", "b"}));
    std::vector<CachedFile> reversed(files.rbegin(), files.rend());
    EXPECT_EQ(victim_names(reversed, 20), std::vector<std::string>({"a", "b"}));
}

TEST(ChooseVictims, EmptyFilesCostNothingButAreStillOldest) {
    // An empty file frees no space; the next one by age is taken as well.
    std::vector<CachedFile> files = {{"empty", 0, 1}, {"a", 20, 2}, {"b", 100, 3}};
    EXPECT_EQ(victim_names(files, 5), std::vector<std::string>({"empty", "a"}));
}

}  // namespace
}  // namespace cache_tier::fill

// The fill engine with a cache size limit, over a real file:// origin.
#include <fcntl.h>
#include <unistd.h>

#include <thread>

#include "fill_test_support.hpp"
#include "support/manual_clock.hpp"
#include "store/metadata.hpp"
#include "support/disk_usage.hpp"
#include "support/serve_helpers.hpp"

namespace fill_test {
namespace {

class EvictionInTheEngine : public ::testing::Test {
protected:
    ct_test::TempDir origin_dir;
    ct_test::TempDir cache;
    FillOptions options = options_for(cache.path());
    cache_tier::store::MetadataStore records{cache.path()};

    std::unique_ptr<FillEngine> engine() {
        return std::make_unique<FillEngine>(options, origin_for("file://" + origin_dir.path().string()));
    }
    void at_origin(const std::string& name, std::size_t size) {
        ct_test::write_file(origin_dir / name, ct_test::random_bytes(size, static_cast<unsigned>(name.size())));
    }
};

// Sizes below assume blocks of at most 8 KiB: a 100 kB file with its record
// and folders takes about 110 kB, and a fill of one reserves about 125 kB.
TEST_F(EvictionInTheEngine, TheLeastRecentlyUsedFileGoesAndARecentlyVerifiedOneStays) {
    options.max_cache_bytes = 300000;  // two 100 kB files fit, with room for a third only by evicting one
    for (const char* name : {"a.bin", "b.bin", "c.bin"}) at_origin(name, 100000);
    auto fills = engine();
    ASSERT_TRUE(ensure_and_wait(*fills, "a.bin").available());
    ASSERT_TRUE(ensure_and_wait(*fills, "b.bin").available());
    ASSERT_TRUE(fills->ensure(name_of("A.bin")).available());  // a is used again: b is now the oldest

    ASSERT_TRUE(ensure_and_wait(*fills, "c.bin").available());
    EXPECT_FALSE(fs::exists(cache / "b.bin"));
    EXPECT_FALSE(records.load("b.bin"));
    EXPECT_TRUE(fs::exists(cache / "a.bin"));
    EXPECT_TRUE(records.load("a.bin"));
    EXPECT_TRUE(fs::exists(cache / "c.bin"));
    EXPECT_TRUE(records.load("c.bin"));
    EXPECT_EQ(fills->usage().evictions, 1u);
    EXPECT_EQ(fills->usage().files, 2u);
    EXPECT_LE(ct_test::disk_usage(cache.path()), options.max_cache_bytes);

    // The evicted file is simply missing: asking for it fills it again, and
    // that fill evicts the next least recently used one: a.
    EXPECT_EQ(fills->ensure(name_of("b.bin")).state, FileState::filling);
    ASSERT_TRUE(fills->wait_idle(10s));
    EXPECT_TRUE(fills->ensure(name_of("b.bin")).available());
    EXPECT_FALSE(fs::exists(cache / "a.bin"));
    EXPECT_TRUE(fs::exists(cache / "c.bin"));
    EXPECT_EQ(fills->usage().evictions, 2u);
}

TEST_F(EvictionInTheEngine, ADescriptorOpenOnAnEvictedFileKeepsReadingIt) {
    options.max_cache_bytes = 200000;
    at_origin("old.bin", 100000);
    at_origin("new.bin", 100000);
    auto fills = engine();
    ASSERT_TRUE(ensure_and_wait(*fills, "old.bin").available());
    const std::string body = ct_test::read_file(cache / "old.bin");
    const int fd = ::open((cache / "old.bin").c_str(), O_RDONLY | O_CLOEXEC);
    ASSERT_GE(fd, 0);

    ASSERT_TRUE(ensure_and_wait(*fills, "new.bin").available());
    EXPECT_FALSE(fs::exists(cache / "old.bin"));
    std::string read_back(200000, '\0');
    const ssize_t n = ::pread(fd, read_back.data(), read_back.size(), 0);
    ::close(fd);
    ASSERT_EQ(n, 100000);
    read_back.resize(100000);
    EXPECT_TRUE(read_back == body);
}

TEST_F(EvictionInTheEngine, ACacheAlreadyOverTheLimitIsTrimmedAtStart) {
    // As left by a run without a limit (or a larger one); mtimes give the age.
    ct_test::write_file(cache / "oldest.bin", std::string(1000, 'o'));
    ct_test::write_file(cache / "dir/middle.bin", std::string(1000, 'm'));
    ct_test::write_file(cache / "newest.bin", std::string(1000, 'n'));
    ct_test::set_mtime(cache / "oldest.bin", 1'000'000'000);
    ct_test::set_mtime(cache / "dir/middle.bin", 1'100'000'000);
    ct_test::set_mtime(cache / "newest.bin", 1'200'000'000);
    ASSERT_TRUE(records.prepare().ok());
    ASSERT_TRUE(records.save("oldest.bin", {"\"1\"", "", 1000, 1, "oldest.bin"}).ok());
    // The engine's own state folder counts too; what a symbolic link points to does not.
    ct_test::write_file(cache / ".cache-tier/big-state-file", std::string(100000, 's'));
    ct_test::write_file(origin_dir / "outside.bin", std::string(100000, 'x'));
    fs::create_symlink(origin_dir / "outside.bin", cache / "link.bin");

    // One byte over: the oldest file (and its record) goes, nothing else.
    options.max_cache_bytes = ct_test::disk_usage(cache.path()) - 1;
    auto fills = engine();
    EXPECT_FALSE(fs::exists(cache / "oldest.bin"));
    EXPECT_FALSE(records.load("oldest.bin"));
    EXPECT_TRUE(fs::exists(cache / "dir/middle.bin"));
    EXPECT_TRUE(fs::exists(cache / "newest.bin"));
    EXPECT_TRUE(fs::exists(cache / ".cache-tier/big-state-file"));
    EXPECT_TRUE(fs::is_symlink(cache / "link.bin"));
    EXPECT_TRUE(fs::exists(origin_dir / "outside.bin"));
    EXPECT_EQ(fills->usage().bytes, ct_test::disk_usage(cache.path()));
    EXPECT_EQ(fills->usage().files, 2u);
}

TEST_F(EvictionInTheEngine, AFileLargerThanTheWholeCacheIsNotCached) {
    options.max_cache_bytes = 300000;
    at_origin("huge.bin", 400000);    // over the cap by its length: the origin refuses it at its head
    at_origin("nearly.bin", 299000);  // under the cap, but not with its record and folders
    at_origin("fits.bin", 100000);
    auto fills = engine();
    ASSERT_TRUE(ensure_and_wait(*fills, "fits.bin").available());

    for (const char* name : {"huge.bin", "nearly.bin"}) {
        FileStatus status = ensure_and_wait(*fills, name);
        EXPECT_EQ(status.state, FileState::failed) << name;
        EXPECT_NE(status.error_message.find("larger than the cache (max_cache_size 300000 bytes)"), std::string::npos)
            << status.error_message;
        EXPECT_FALSE(fs::exists(cache / name));
    }
    EXPECT_TRUE(temp_files(cache.path()).empty());
    EXPECT_TRUE(fs::exists(cache / "fits.bin"));  // nothing was evicted for them
    EXPECT_EQ(fills->usage().evictions, 0u);
    EXPECT_EQ(fills->usage().reserved, 0u);
}

TEST_F(EvictionInTheEngine, AReplacedCopyCountsItsNewSizeOnly) {
    // a (100 kB, then 150 kB) + b (100 kB) + c (40 kB) fit in 420 kB with room
    // for the fill of c; with a counted twice they would not, and b would go.
    options.max_cache_bytes = 420000;
    options.revalidate_after = 1s;
    at_origin("a.bin", 100000);
    at_origin("b.bin", 100000);
    ct_test::ManualClock clock;
    auto fills = std::make_unique<FillEngine>(options, origin_for("file://" + origin_dir.path().string()), clock);
    ASSERT_TRUE(ensure_and_wait(*fills, "a.bin").available());
    ASSERT_TRUE(ensure_and_wait(*fills, "b.bin").available());

    at_origin("a.bin", 150000);
    ct_test::set_mtime(origin_dir / "a.bin", 1'500'000'000);
    clock.advance(2s);  // older than revalidate_after: the next ask revalidates and gets the new size
    fills->ensure(name_of("a.bin"));
    ASSERT_TRUE(fills->wait_idle(5s));
    ASSERT_EQ(fs::file_size(cache / "a.bin"), 150000u);
    at_origin("c.bin", 40000);
    ASSERT_TRUE(ensure_and_wait(*fills, "c.bin").available());
    EXPECT_TRUE(fs::exists(cache / "a.bin"));
    EXPECT_TRUE(fs::exists(cache / "b.bin"));
    EXPECT_EQ(fills->usage().bytes, ct_test::disk_usage(cache.path()));
}

TEST_F(EvictionInTheEngine, WithoutALimitNothingIsEvicted) {
    for (const char* name : {"a.bin", "b.bin", "c.bin"}) at_origin(name, 1000);
    auto fills = engine();
    for (const char* name : {"a.bin", "b.bin", "c.bin"}) ASSERT_TRUE(ensure_and_wait(*fills, name).available());
    for (const char* name : {"a.bin", "b.bin", "c.bin"}) EXPECT_TRUE(fs::exists(cache / name)) << name;
    EXPECT_FALSE(fills->usage().counted);
}

}  // namespace
}  // namespace fill_test
