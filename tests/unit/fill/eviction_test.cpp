// Choosing which cached files to evict: least recently used first, down to
// the low watermark, never a pinned file.
#include "fill/eviction.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace cache_tier::fill {
namespace {

std::vector<std::string> victim_names(const std::vector<CachedFile>& files, std::uint64_t total, std::uint64_t limit) {
    std::vector<std::string> names;
    for (std::size_t i : choose_victims(files, total, limit)) names.push_back(files[i].name);
    return names;
}

std::uint64_t total_of(const std::vector<CachedFile>& files) {
    std::uint64_t total = 0;
    for (const auto& f : files) total += f.size;
    return total;
}

TEST(LowWatermark, IsNinetyPercentRoundedDown) {
    EXPECT_EQ(low_watermark(100), 90u);
    EXPECT_EQ(low_watermark(15), 13u);
    EXPECT_EQ(low_watermark(0), 0u);
    // No overflow near the top of the range.
    EXPECT_EQ(low_watermark(UINT64_MAX), UINT64_MAX / 10 * 9 + 4);
}

TEST(ChooseVictims, NothingWhenUnderOrAtTheLimitOrWithoutALimit) {
    std::vector<CachedFile> files = {{"a", 60, 1}, {"b", 40, 2}};
    EXPECT_TRUE(victim_names(files, 100, 100).empty());  // at the limit is fine
    EXPECT_TRUE(victim_names(files, 100, 0).empty());    // 0: no limit
    EXPECT_TRUE(victim_names({}, 0, 10).empty());
}

TEST(ChooseVictims, LeastRecentlyUsedFirstWhateverTheInputOrder) {
    std::vector<CachedFile> files = {{"new", 30, 300}, {"old", 30, 100}, {"mid", 30, 200}, {"newest", 30, 400}};
    // 120 over a limit of 100: down to 90 takes the one oldest file.
    EXPECT_EQ(victim_names(files, 120, 100), std::vector<std::string>({"old"}));
    // Limit 70, watermark 63: two files go, oldest first.
    EXPECT_EQ(victim_names(files, 120, 70), std::vector<std::string>({"old", "mid"}));
}

TEST(ChooseVictims, StopsAtTheLowWatermarkNotAtTheLimit) {
    std::vector<CachedFile> files = {{"a", 10, 1}, {"b", 10, 2}, {"c", 10, 3}, {"d", 75, 4}};
    // Total 105, limit 100: removing "a" would be enough for the limit, but
    // the watermark is 90, so "b" goes too; "c" is not needed.
    EXPECT_EQ(victim_names(files, total_of(files), 100), std::vector<std::string>({"a", "b"}));
}

TEST(ChooseVictims, PinnedFilesAreNeverChosen) {
    std::vector<CachedFile> files = {{"filling", 50, 1, true}, {"just-filled", 50, 2, true}, {"idle", 50, 3}};
    EXPECT_EQ(victim_names(files, 150, 100), std::vector<std::string>({"idle"}));
}

TEST(ChooseVictims, EveryUnpinnedFileWhenThatIsNotEnough) {
    std::vector<CachedFile> files = {{"big", 200, 5, true}, {"x", 10, 1}, {"y", 10, 2}};
    EXPECT_EQ(victim_names(files, 220, 100), std::vector<std::string>({"x", "y"}));
    std::vector<CachedFile> all_pinned = {{"p", 200, 1, true}};
    EXPECT_TRUE(victim_names(all_pinned, 200, 100).empty());
}

TEST(ChooseVictims, TiesAreBrokenByName) {
    std::vector<CachedFile> files = {{"c", 10, 7}, {"a", 10, 7}, {"b", 10, 7}};
    EXPECT_EQ(victim_names(files, 30, 20), std::vector<std::string>({"a", "b"}));
    std::vector<CachedFile> reversed(files.rbegin(), files.rend());
    EXPECT_EQ(victim_names(reversed, 30, 20), std::vector<std::string>({"a", "b"}));
}

TEST(ChooseVictims, RecordsLargerThanTheTotalDoNotWrapAround) {
    // The caller's total lags its records: still a bounded answer.
    std::vector<CachedFile> files = {{"a", 500, 1}, {"b", 10, 2}};
    EXPECT_EQ(victim_names(files, 120, 100), std::vector<std::string>({"a"}));
}

TEST(ChooseVictims, EmptyFilesCostNothingButAreStillOldest) {
    // An empty file frees no space; the next one by age is taken as well.
    std::vector<CachedFile> files = {{"empty", 0, 1}, {"a", 20, 2}, {"b", 100, 3}};
    EXPECT_EQ(victim_names(files, 120, 115), std::vector<std::string>({"empty", "a"}));
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

TEST_F(EvictionInTheEngine, TheLeastRecentlyUsedFileGoesAndARecentlyVerifiedOneStays) {
    options.max_cache_bytes = 2500;  // two 1000-byte files fit, three do not; down to 2250 after
    for (const char* name : {"a.bin", "b.bin", "c.bin"}) at_origin(name, 1000);
    auto fills = engine();
    ASSERT_TRUE(ensure_and_wait(*fills, "a.bin").available());
    ASSERT_TRUE(ensure_and_wait(*fills, "b.bin").available());
    ASSERT_TRUE(fills->ensure(name_of("A.bin")).available());  // a is used again: b is now the oldest

    ASSERT_TRUE(ensure_and_wait(*fills, "c.bin").available());
    EXPECT_FALSE(fs::exists(cache / "b.bin"));
    EXPECT_FALSE(records.load("b.bin"));
    EXPECT_TRUE(fs::exists(cache / "a.bin"));
    EXPECT_TRUE(records.load("a.bin"));
    EXPECT_TRUE(fs::exists(cache / "c.bin"));  // never the file just filled
    EXPECT_TRUE(records.load("c.bin"));

    // The evicted file is simply missing: asking for it fills it again, and
    // that fill evicts the next least recently used one: a.
    EXPECT_EQ(fills->ensure(name_of("b.bin")).state, FileState::filling);
    ASSERT_TRUE(fills->wait_idle(10s));
    EXPECT_TRUE(fills->ensure(name_of("b.bin")).available());
    EXPECT_FALSE(fs::exists(cache / "a.bin"));
    EXPECT_TRUE(fs::exists(cache / "c.bin"));
}

TEST_F(EvictionInTheEngine, ADescriptorOpenOnAnEvictedFileKeepsReadingIt) {
    options.max_cache_bytes = 1500;
    at_origin("old.bin", 1000);
    at_origin("new.bin", 1000);
    auto fills = engine();
    ASSERT_TRUE(ensure_and_wait(*fills, "old.bin").available());
    const std::string body = ct_test::read_file(cache / "old.bin");
    const int fd = ::open((cache / "old.bin").c_str(), O_RDONLY | O_CLOEXEC);
    ASSERT_GE(fd, 0);

    ASSERT_TRUE(ensure_and_wait(*fills, "new.bin").available());
    EXPECT_FALSE(fs::exists(cache / "old.bin"));
    std::string read_back(2000, '\0');
    const ssize_t n = ::pread(fd, read_back.data(), read_back.size(), 0);
    ::close(fd);
    ASSERT_EQ(n, 1000);
    read_back.resize(1000);
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
    // Neither the engine's own state folder nor what a symbolic link points to counts.
    ct_test::write_file(cache / ".cache-tier/big-state-file", std::string(100000, 's'));
    ct_test::write_file(origin_dir / "outside.bin", std::string(100000, 'x'));
    fs::create_symlink(origin_dir / "outside.bin", cache / "link.bin");

    options.max_cache_bytes = 2500;
    auto fills = engine();
    EXPECT_FALSE(fs::exists(cache / "oldest.bin"));
    EXPECT_FALSE(records.load("oldest.bin"));
    EXPECT_TRUE(fs::exists(cache / "dir/middle.bin"));
    EXPECT_TRUE(fs::exists(cache / "newest.bin"));
    EXPECT_TRUE(fs::exists(cache / ".cache-tier/big-state-file"));
    EXPECT_TRUE(fs::is_symlink(cache / "link.bin"));
    EXPECT_TRUE(fs::exists(origin_dir / "outside.bin"));
}

TEST_F(EvictionInTheEngine, AFileLargerThanTheWholeCacheIsNotCached) {
    options.max_cache_bytes = 1000;
    at_origin("huge.bin", 5000);
    at_origin("fits.bin", 900);
    auto fills = engine();
    ASSERT_TRUE(ensure_and_wait(*fills, "fits.bin").available());

    FileStatus huge = ensure_and_wait(*fills, "huge.bin");
    EXPECT_EQ(huge.state, FileState::failed);
    EXPECT_NE(huge.error_message.find("larger than the cache (max_cache_size 1000 bytes)"), std::string::npos)
        << huge.error_message;
    EXPECT_FALSE(fs::exists(cache / "huge.bin"));
    EXPECT_TRUE(temp_files(cache.path()).empty());
    EXPECT_TRUE(fs::exists(cache / "fits.bin"));  // nothing was evicted for it
}

TEST_F(EvictionInTheEngine, AReplacedCopyCountsItsNewSizeOnly) {
    // a (1000, then 1500) + b (1000) = 2500 fits in 3000; counted twice it would not.
    options.max_cache_bytes = 3000;
    options.revalidate_after = 1s;
    at_origin("a.bin", 1000);
    at_origin("b.bin", 1000);
    ct_test::ManualClock clock;
    auto fills = std::make_unique<FillEngine>(options, origin_for("file://" + origin_dir.path().string()), clock);
    ASSERT_TRUE(ensure_and_wait(*fills, "a.bin").available());
    ASSERT_TRUE(ensure_and_wait(*fills, "b.bin").available());

    at_origin("a.bin", 1500);
    ct_test::set_mtime(origin_dir / "a.bin", 1'500'000'000);
    clock.advance(2s);  // older than revalidate_after: the next ask revalidates and gets the new size
    fills->ensure(name_of("a.bin"));
    ASSERT_TRUE(fills->wait_idle(5s));
    ASSERT_EQ(fs::file_size(cache / "a.bin"), 1500u);
    at_origin("c.bin", 400);  // 2900 in all: still under the limit
    ASSERT_TRUE(ensure_and_wait(*fills, "c.bin").available());
    EXPECT_TRUE(fs::exists(cache / "a.bin"));
    EXPECT_TRUE(fs::exists(cache / "b.bin"));
}

TEST_F(EvictionInTheEngine, WithoutALimitNothingIsEvicted) {
    for (const char* name : {"a.bin", "b.bin", "c.bin"}) at_origin(name, 1000);
    auto fills = engine();
    for (const char* name : {"a.bin", "b.bin", "c.bin"}) ASSERT_TRUE(ensure_and_wait(*fills, name).available());
    for (const char* name : {"a.bin", "b.bin", "c.bin"}) EXPECT_TRUE(fs::exists(cache / name)) << name;
}

}  // namespace
}  // namespace fill_test
