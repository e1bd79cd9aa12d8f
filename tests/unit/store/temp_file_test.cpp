// A file visible under its final name only whole: each case states what must
// be on disk after it.
#include "store/temp_file.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include "store/file_io.hpp"
#include "support/process.hpp"

namespace {

namespace fs = std::filesystem;
using cache_tier::store::TempFile;

bool empty_dir(const fs::path& dir) { return fs::is_empty(dir); }

TEST(TempFile, AFileNeverPlacedLeavesNothing) {
    ct_test::TempDir dir;
    {
        auto temp = TempFile::create(dir.path(), "fill", 0644);
        ASSERT_TRUE(temp.ok()) << temp.error().message;
        EXPECT_TRUE(cache_tier::store::write_all(temp->fd(), "half", 4).ok());
        EXPECT_FALSE(empty_dir(dir.path()));
    }
    EXPECT_TRUE(empty_dir(dir.path()));
}

TEST(TempFile, PlacedBeneathItAppearsWholeWithItsPermissions) {
    ct_test::TempDir tmp, cache;
    int cache_fd = ::open(cache.path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    ASSERT_GE(cache_fd, 0);
    {
        auto temp = TempFile::create(tmp.path(), "fill", 0644);
        ASSERT_TRUE(temp.ok());
        ASSERT_TRUE(cache_tier::store::write_all(temp->fd(), "whole", 5).ok());
        ASSERT_TRUE(temp->sync_and_close().ok());
        ASSERT_TRUE(temp->place_beneath(cache_fd, "show/ep.mp3").ok());
    }
    ::close(cache_fd);
    EXPECT_EQ(ct_test::read_file(cache / "show/ep.mp3"), "whole");
    EXPECT_EQ(fs::status(cache / "show/ep.mp3").permissions() & fs::perms::all,
              fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read | fs::perms::others_read);
    EXPECT_TRUE(empty_dir(tmp.path()));
}

TEST(TempFile, APlacementThatFailsLeavesNoTemporaryFile) {
    ct_test::TempDir tmp, cache;
    ct_test::write_file(cache / "plain", "a file, not a folder");
    int cache_fd = ::open(cache.path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    {
        auto temp = TempFile::create(tmp.path(), "fill", 0644);
        ASSERT_TRUE(temp.ok());
        ASSERT_TRUE(temp->sync_and_close().ok());
        auto placed = temp->place_beneath(cache_fd, "plain/child.bin");
        EXPECT_FALSE(placed.ok());
        EXPECT_EQ(placed.code(), ENOTDIR);
    }
    ::close(cache_fd);
    EXPECT_TRUE(empty_dir(tmp.path()));
}

TEST(TempFile, PlacedAtAPathReplacesWhatWasThere) {
    ct_test::TempDir dir;
    ct_test::write_file(dir / "records/a.json", "old");
    fs::create_directory(dir / "tmp");
    {
        auto temp = TempFile::create(dir / "tmp", "meta", 0644);
        ASSERT_TRUE(temp.ok());
        ASSERT_TRUE(cache_tier::store::write_all(temp->fd(), "new", 3).ok());
        ASSERT_TRUE(temp->sync_and_close().ok());
        ASSERT_TRUE(temp->place_at(dir / "records/a.json").ok());
    }
    EXPECT_EQ(ct_test::read_file(dir / "records/a.json"), "new");
    EXPECT_TRUE(empty_dir(dir / "tmp"));
}

TEST(WriteAll, AFailedWriteSaysOnlyWhyWithTheErrno) {
    int read_only = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    ASSERT_GE(read_only, 0);
    auto written = cache_tier::store::write_all(read_only, "x", 1);
    ::close(read_only);
    ASSERT_FALSE(written.ok());
    EXPECT_EQ(written.code(), EBADF);
    EXPECT_EQ(written.error().message, std::strerror(EBADF));  // the caller says what it was writing
}

TEST(TempFile, CreatingInAMissingFolderSaysWhere) {
    auto temp = TempFile::create("/nonexistent-cache-tier-folder", "fill", 0644);
    ASSERT_FALSE(temp.ok());
    EXPECT_NE(temp.error().message.find("/nonexistent-cache-tier-folder/fill-XXXXXX"), std::string::npos)
        << temp.error().message;
    EXPECT_EQ(temp.code(), ENOENT);
}

}  // namespace
