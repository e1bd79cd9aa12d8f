// Hot small files kept whole in memory by the open-file cache: read on the
// first send, bounded in bytes (least recently used out first), and never
// served past what the descriptor cache would serve: replaced files are read
// again at revalidation, purged ones go at once, a file that changes while it
// is read is not kept. Time moves by hand (ManualClock); nothing sleeps.
#include "store/small_files.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <optional>

#include "store/file_cache.hpp"
#include "support/manual_clock.hpp"
#include "support/process.hpp"
#include "support/serve_helpers.hpp"

namespace cache_tier::store {
namespace {

using namespace std::chrono_literals;

class SmallFiles : public ::testing::Test {
protected:
    void SetUp() override {
        for (auto name : {"a", "b", "c"}) ct_test::write_file(dir_ / name, std::string("abcd").replace(0, 1, name));
        ct_test::write_file(dir_ / "big", std::string(11, 'x'));
    }
    // 10 bytes of memory, files up to 10 bytes: two of the 4-byte files fit, not three.
    FileCache& cache(std::uint64_t budget = 10) {
        if (!cache_) cache_.emplace(dir_.path().string(), SmallFileOptions{budget, 10}, 1s, 4096, 5s, clock_);
        return *cache_;
    }
    std::string contents(const std::string& name) {
        Opened opened = cache().open(name, Want::contents);
        EXPECT_EQ(opened.status, OpenStatus::ok) << name;
        return opened.contents ? *opened.contents : "(not in memory)";
    }
    std::shared_ptr<const std::string> held(const std::string& name) { return cache().open(name, Want::contents).contents; }

    ct_test::TempDir dir_;
    ct_test::ManualClock clock_;
    std::optional<FileCache> cache_;
};

TEST_F(SmallFiles, ASmallFileIsReadOnItsFirstSendAndServedFromMemoryAfter) {
    EXPECT_EQ(contents("a"), "abcd");
    EXPECT_EQ(cache().bytes_in_memory(), 4u);
    auto first = held("a");
    EXPECT_EQ(held("a"), first) << "read again instead of served from memory";
}

TEST_F(SmallFiles, OnlyWhatIsSentIsRead) {
    Opened opened = cache().open("a");
    ASSERT_TRUE(opened.file);
    EXPECT_EQ(opened.contents, nullptr);
    EXPECT_EQ(cache().bytes_in_memory(), 0u);
}

TEST_F(SmallFiles, AFileOverTheSizeLimitIsSentFromItsDescriptor) {
    Opened opened = cache().open("big", Want::contents);
    ASSERT_TRUE(opened.file);
    EXPECT_EQ(opened.contents, nullptr);
    EXPECT_EQ(cache().bytes_in_memory(), 0u);
}

TEST_F(SmallFiles, ABudgetOfZeroKeepsNothing) {
    Opened opened = cache(0).open("a", Want::contents);
    ASSERT_TRUE(opened.file);
    EXPECT_EQ(opened.contents, nullptr);
}

TEST_F(SmallFiles, TheLeastRecentlyUsedMakesRoomWithinTheBudget) {
    EXPECT_EQ(contents("a"), "abcd");
    EXPECT_EQ(contents("b"), "bbcd");
    EXPECT_EQ(contents("a"), "abcd");  // a is now the most recently used
    EXPECT_EQ(contents("c"), "cbcd");
    EXPECT_EQ(cache().bytes_in_memory(), 8u);
    auto a = held("a");
    EXPECT_EQ(held("a"), a) << "the recently used file was evicted";
    // b went: it is read again, which makes room by evicting c (a was used last).
    const auto b_before = cache().bytes_in_memory();
    EXPECT_EQ(contents("b"), "bbcd");
    EXPECT_EQ(cache().bytes_in_memory(), b_before);
    EXPECT_EQ(held("a"), a);
}

// Within revalidate_after the descriptor cache serves what it opened; so does
// memory. After it, a file replaced at its name is read again.
TEST_F(SmallFiles, AReplacedFileIsReadAgainWhenTheDescriptorCacheChecksIt) {
    EXPECT_EQ(contents("a"), "abcd");
    ct_test::write_file(dir_ / "a.new", "new a");
    std::filesystem::rename(dir_ / "a.new", dir_ / "a");
    EXPECT_EQ(contents("a"), "abcd") << "checked before revalidate_after";
    clock_.advance(1s);
    EXPECT_EQ(contents("a"), "new a");
    EXPECT_EQ(cache().bytes_in_memory(), 5u) << "the old copy's bytes are still counted";
}

TEST_F(SmallFiles, AFileWrittenInPlaceIsReadAgainWhenItsTimeChanges) {
    ct_test::set_mtime(dir_ / "a", 1'700'000'000);
    EXPECT_EQ(contents("a"), "abcd");
    {
        std::fstream f(dir_ / "a", std::ios::in | std::ios::out | std::ios::binary);
        f << "ABCD";
    }
    ct_test::set_mtime(dir_ / "a", 1'700'000'001);
    clock_.advance(1s);
    EXPECT_EQ(contents("a"), "ABCD");
}

TEST_F(SmallFiles, APurgeDropsTheContentsAtOnce) {
    EXPECT_EQ(contents("a"), "abcd");
    std::filesystem::remove(dir_ / "a");
    note_removal();  // what an admin purge does
    Opened gone = cache().open("a", Want::contents);
    EXPECT_EQ(gone.status, OpenStatus::not_found);
    EXPECT_EQ(gone.contents, nullptr);
    EXPECT_EQ(cache().bytes_in_memory(), 0u);
}

TEST_F(SmallFiles, TheSweepLetsGoOfUnlinkedAndIdleFilesBytes) {
    EXPECT_EQ(contents("a"), "abcd");
    EXPECT_EQ(contents("b"), "bbcd");
    std::filesystem::remove(dir_ / "a");
    // The Date is the real one: the files were written now.
    cache().maintain(std::time(nullptr));
    EXPECT_EQ(cache().bytes_in_memory(), 4u);
    clock_.advance(6s);
    cache().maintain(std::time(nullptr));
    EXPECT_EQ(cache().bytes_in_memory(), 0u);
}

// read_whole_file: the whole file exactly as its stat described it, or nothing.
class ReadWholeFile : public ::testing::Test {
protected:
    void SetUp() override {
        ct_test::write_file(path_, "0123456789");
        fd_ = UniqueFd(::open(path_.c_str(), O_RDONLY | O_CLOEXEC));
        ASSERT_TRUE(fd_);
        ASSERT_EQ(::fstat(fd_.get(), &st_), 0);
    }
    std::shared_ptr<const std::string> read() {
        return read_whole_file(fd_.get(), static_cast<std::uint64_t>(st_.st_size), mtime_ns(st_));
    }

    ct_test::TempDir dir_;
    std::filesystem::path path_ = dir_ / "f";
    UniqueFd fd_;
    struct stat st_ {};
};

TEST_F(ReadWholeFile, ReadsTheFileAsItsStatDescribedIt) {
    auto bytes = read();
    ASSERT_TRUE(bytes);
    EXPECT_EQ(*bytes, "0123456789");
}

TEST_F(ReadWholeFile, RefusesAFileThatGrewSinceItsStat) {
    std::ofstream(path_, std::ios::app) << "more";  // a file still being written
    EXPECT_EQ(read(), nullptr);
}

TEST_F(ReadWholeFile, RefusesAFileCutShortSinceItsStat) {
    std::filesystem::resize_file(path_, 4);
    EXPECT_EQ(read(), nullptr);
}

TEST_F(ReadWholeFile, RefusesAFileRewrittenToTheSameSize) {
    {
        std::fstream f(path_, std::ios::in | std::ios::out | std::ios::binary);
        f << "abcdefghij";
    }
    ct_test::set_mtime(path_, 1'700'000'000);
    EXPECT_EQ(read(), nullptr);
}

}  // namespace
}  // namespace cache_tier::store
