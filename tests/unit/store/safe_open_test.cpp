// Opening names under a directory without leaving it, with openat2 and with
// the segment-by-segment fallback: each case states what must happen.
#include "store/safe_open.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <functional>

#include "support/process.hpp"

namespace {

namespace fs = std::filesystem;
using cache_tier::store::open_beneath;
using cache_tier::store::open_beneath_by_segments;
using cache_tier::store::rename_beneath;
using cache_tier::store::servable_size;
using cache_tier::store::unlink_beneath;
using OpenFn = std::function<cache_tier::Result<cache_tier::UniqueFd>(int, const std::string&)>;

class SafeOpen : public ::testing::TestWithParam<const char*> {
protected:
    void SetUp() override {
        ct_test::write_file(root_ / "cache/show/ep1.mp3", "inside");
        ct_test::write_file(root_ / "secret.txt", "outside");
        fs::create_symlink(root_ / "secret.txt", root_ / "cache/out_abs");
        fs::create_symlink("../secret.txt", root_ / "cache/out_rel");
        fs::create_symlink(root_.path(), root_ / "cache/out_dir");
        fs::create_directory(root_ / "cache/fifo_dir");
        ::mkfifo((root_ / "cache/fifo_dir/pipe").c_str(), 0600);
        dir_ = ::open((root_ / "cache").c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        ASSERT_GE(dir_, 0);
    }
    void TearDown() override { ::close(dir_); }

    OpenFn fn() const {
        if (std::string(GetParam()) == "openat2") return open_beneath;
        return open_beneath_by_segments;
    }
    // Opens, reads the whole file, closes; the error's code is the errno.
    std::string read(const std::string& name, int* error = nullptr) const {
        auto fd = fn()(dir_, name);
        if (!fd) {
            if (error) *error = fd.code();
            EXPECT_NE(fd.error().message.find("'" + name + "'"), std::string::npos)
                << "the message does not name the file: " << fd.error().message;
            return {};
        }
        char buf[64];
        ssize_t n = ::read(fd->get(), buf, sizeof buf);
        return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
    }

    ct_test::TempDir root_;
    int dir_ = -1;
};

TEST_P(SafeOpen, OpensANestedFileInside) { EXPECT_EQ(read("show/ep1.mp3"), "inside"); }

TEST_P(SafeOpen, RefusesEveryWayOut) {
    for (const char* name : {"../secret.txt", "show/../../secret.txt", "/etc/passwd", "out_abs", "out_rel",
                             "out_dir/secret.txt"}) {
        int error = 0;
        EXPECT_EQ(read(name, &error), "") << name;
        EXPECT_NE(error, 0) << name << " was opened";
        EXPECT_NE(error, ENOENT) << name << ": refused for the wrong reason";
    }
}

TEST_P(SafeOpen, AMissingFileIsENOENT) {
    int error = 0;
    read("show/nope.mp3", &error);
    EXPECT_EQ(error, ENOENT);
}

TEST_P(SafeOpen, AFifoDoesNotBlock) {
    // Opened without a writer thanks to O_NONBLOCK; callers then refuse non-regular files.
    auto fd = fn()(dir_, "fifo_dir/pipe");
    ASSERT_TRUE(fd.ok()) << fd.error().message;
    EXPECT_GE(fd->get(), 0);
}

INSTANTIATE_TEST_SUITE_P(Both, SafeOpen, ::testing::Values("openat2", "segments"));

// Placing, sizing and removing names: the fill engine's side of the same rule.
class Beneath : public ::testing::Test {
protected:
    void SetUp() override {
        ct_test::write_file(root_ / "cache/show/ep1.mp3", "inside");
        ct_test::write_file(root_ / "cache/.cache-tier/tmp/fill-1", "new copy");
        ct_test::write_file(root_ / "outside/secret.txt", "outside");
        fs::create_symlink(root_ / "outside", root_ / "cache/out_dir");
        fs::create_symlink(root_ / "outside/secret.txt", root_ / "cache/out_file");
        dir_ = ::open((root_ / "cache").c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        tmp_ = ::open((root_ / "cache/.cache-tier/tmp").c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        ASSERT_GE(dir_, 0);
        ASSERT_GE(tmp_, 0);
    }
    void TearDown() override {
        ::close(dir_);
        ::close(tmp_);
    }
    ct_test::TempDir root_;
    int dir_ = -1;
    int tmp_ = -1;
};

TEST_F(Beneath, ServableSizeIsWhatTheStaticRouteWouldServe) {
    EXPECT_EQ(servable_size(dir_, "show/ep1.mp3"), 6u);
    EXPECT_EQ(servable_size(dir_, "show"), std::nullopt);              // a folder
    EXPECT_EQ(servable_size(dir_, "out_file"), std::nullopt);          // a link out
    EXPECT_EQ(servable_size(dir_, "out_dir/secret.txt"), std::nullopt);
    EXPECT_EQ(servable_size(dir_, "show/none.mp3"), std::nullopt);
}

TEST_F(Beneath, RenameCreatesTheFoldersAndReplacesTheOldCopy) {
    ASSERT_TRUE(rename_beneath(tmp_, "fill-1", dir_, "new/deeper/ep2.mp3").ok());
    EXPECT_EQ(ct_test::read_file(root_ / "cache/new/deeper/ep2.mp3"), "new copy");
    ct_test::write_file(root_ / "cache/.cache-tier/tmp/fill-2", "replaced");
    ASSERT_TRUE(rename_beneath(tmp_, "fill-2", dir_, "show/ep1.mp3").ok());
    EXPECT_EQ(ct_test::read_file(root_ / "cache/show/ep1.mp3"), "replaced");
}

TEST_F(Beneath, RenameNeverWritesThroughALinkedFolder) {
    EXPECT_FALSE(rename_beneath(tmp_, "fill-1", dir_, "out_dir/secret.txt").ok());
    EXPECT_FALSE(rename_beneath(tmp_, "fill-1", dir_, "out_dir/new.txt").ok());
    EXPECT_EQ(ct_test::read_file(root_ / "outside/secret.txt"), "outside");
    EXPECT_FALSE(fs::exists(root_ / "outside/new.txt"));
    EXPECT_TRUE(fs::exists(root_ / "cache/.cache-tier/tmp/fill-1"));  // left for the caller to remove
}

TEST_F(Beneath, RenameOverALinkReplacesTheLinkNotItsTarget) {
    ASSERT_TRUE(rename_beneath(tmp_, "fill-1", dir_, "out_file").ok());
    EXPECT_FALSE(fs::is_symlink(root_ / "cache/out_file"));
    EXPECT_EQ(ct_test::read_file(root_ / "cache/out_file"), "new copy");
    EXPECT_EQ(ct_test::read_file(root_ / "outside/secret.txt"), "outside");
}

TEST_F(Beneath, UnlinkRemovesInsideAndNeverThroughALink) {
    EXPECT_TRUE(unlink_beneath(dir_, "show/ep1.mp3").ok());
    EXPECT_FALSE(fs::exists(root_ / "cache/show/ep1.mp3"));
    EXPECT_EQ(unlink_beneath(dir_, "show/ep1.mp3").code(), ENOENT);
    EXPECT_FALSE(unlink_beneath(dir_, "out_dir/secret.txt").ok());
    EXPECT_TRUE(fs::exists(root_ / "outside/secret.txt"));
    EXPECT_FALSE(unlink_beneath(dir_, "../outside/secret.txt").ok());
    EXPECT_TRUE(fs::exists(root_ / "outside/secret.txt"));
}

}  // namespace

namespace {

// A cache directory removed and created again under the same path: the held
// descriptor number is made to reach the new one; while nothing is there, it
// says so and keeps the old one.
TEST(ReattachDirectory, TakesInADirectoryReplacedAtItsPath) {
    ct_test::TempDir root;
    const fs::path dir = root / "cache";
    fs::create_directories(dir);
    cache_tier::UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    ASSERT_TRUE(fd);
    const int number = fd.get();
    auto same = cache_tier::store::reattach_directory(number, dir.string());
    ASSERT_TRUE(same);
    EXPECT_FALSE(*same);

    fs::remove_all(dir);
    auto gone = cache_tier::store::reattach_directory(number, dir.string());
    ASSERT_FALSE(gone);
    EXPECT_EQ(gone.code(), ENOENT);
    EXPECT_NE(gone.error().message.find(dir.string() + " is gone"), std::string::npos) << gone.error().message;

    fs::create_directories(dir);
    ct_test::write_file(dir / "new.txt", "in the new directory");
    auto replaced = cache_tier::store::reattach_directory(number, dir.string());
    ASSERT_TRUE(replaced);
    EXPECT_TRUE(*replaced);
    EXPECT_EQ(fd.get(), number);
    EXPECT_TRUE(cache_tier::store::servable_size(number, "new.txt").has_value());
    EXPECT_FALSE(*cache_tier::store::reattach_directory(number, dir.string()));
}

}  // namespace
