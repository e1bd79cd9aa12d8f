// FileCache::maintain, the once-a-second sweep: it lets go of what requests no
// longer need (unlinked, replaced, idle files) but never of a descriptor a
// response still holds, and keeps Last-Modified no later than the Date
// (RFC 9110 §8.8.2.1). Time is passed in, so nothing here sleeps.
#include "store/file_cache.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <ctime>

#include "http/conditional.hpp"
#include "http/http_date.hpp"
#include "support/process.hpp"
#include "support/serve_helpers.hpp"

namespace cache_tier::store {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr std::int64_t kDate = 1800000000;  // what the Date header says in these tests

class FileCacheSweep : public ::testing::Test {
protected:
    void SetUp() override {
        for (auto name : {"a.txt", "b.txt"}) {
            ct_test::write_file(dir_ / name, std::string("content of ") + name);
            ct_test::set_mtime(dir_ / name, kDate - 100);
        }
        cache_.maintain(kDate);
    }
    // The cache's own reference, watched without keeping the file open.
    std::weak_ptr<const http::OpenFile> opened(const std::string& name) {
        Opened result = cache_.open(name);
        EXPECT_EQ(result.status, OpenStatus::ok) << name;
        EXPECT_TRUE(result.file) << name;
        return result.file;
    }

    ct_test::TempDir dir_;
    FileCache cache_{dir_.path().string(), {}, 1s, 4096, 5s};
};

TEST_F(FileCacheSweep, KeepsFilesInUse) {
    auto a = opened("a.txt");
    cache_.maintain(kDate, Clock::now() + 1s);
    EXPECT_FALSE(a.expired());
}

TEST_F(FileCacheSweep, LetsGoOfAnUnlinkedFile) {
    auto a = opened("a.txt");
    auto b = opened("b.txt");
    std::filesystem::remove(dir_ / "a.txt");
    cache_.maintain(kDate);
    EXPECT_TRUE(a.expired()) << "an evicted file's descriptor is still held";
    EXPECT_FALSE(b.expired());
}

TEST_F(FileCacheSweep, LetsGoOfAFileReplacedByARename) {
    auto a = opened("a.txt");
    ct_test::write_file(dir_ / "new.tmp", "new");
    std::filesystem::rename(dir_ / "new.tmp", dir_ / "a.txt");
    cache_.maintain(kDate);
    EXPECT_TRUE(a.expired());
    auto fresh = cache_.open("a.txt").file;
    ASSERT_TRUE(fresh);
    EXPECT_EQ(fresh->size, 3u);
}

TEST_F(FileCacheSweep, LetsGoOfAFileNotAskedForWithinTheIdleLimit) {
    auto a = opened("a.txt");
    auto b = opened("b.txt");
    const auto later = Clock::now() + 4s;
    cache_.maintain(kDate, later);
    EXPECT_FALSE(a.expired());
    EXPECT_FALSE(b.expired());
    cache_.maintain(kDate, later + 2s);
    EXPECT_TRUE(a.expired());
    EXPECT_TRUE(b.expired());
}

TEST_F(FileCacheSweep, AResponseInFlightKeepsItsFileReadable) {
    auto in_flight = cache_.open("a.txt").file;
    ASSERT_TRUE(in_flight);
    std::filesystem::remove(dir_ / "a.txt");
    cache_.maintain(kDate, Clock::now() + 1h);
    char buf[64] = {};
    ASSERT_EQ(::pread(in_flight->fd.get(), buf, sizeof buf, 0), 16) << "the response's descriptor was closed";
    EXPECT_EQ(std::string(buf, 16), "content of a.txt");
    Opened gone = cache_.open("a.txt");
    EXPECT_EQ(gone.file, nullptr);
    EXPECT_EQ(gone.status, OpenStatus::not_found);
}

TEST_F(FileCacheSweep, AModificationTimeAfterTheDateIsServedAsTheDate) {
    ct_test::set_mtime(dir_ / "a.txt", kDate + 2);
    auto before = cache_.open("a.txt").file;
    ASSERT_TRUE(before);
    EXPECT_EQ(before->mtime, kDate);
    EXPECT_EQ(before->last_modified, http::format_http_date(kDate));
    // The tag is the file's, not the clock's.
    EXPECT_EQ(before->etag, http::strong_etag(kDate + 2, before->size));

    cache_.maintain(kDate + 1);
    auto moving = cache_.open("a.txt").file;
    EXPECT_EQ(moving->mtime, kDate + 1) << "Last-Modified did not move with the Date";
    EXPECT_EQ(moving->etag, before->etag);

    cache_.maintain(kDate + 5);
    auto reached = cache_.open("a.txt").file;
    EXPECT_EQ(reached->mtime, kDate + 2) << "the file's own time once the Date has passed it";
    EXPECT_EQ(reached->last_modified, http::format_http_date(kDate + 2));

    // A clock set back makes it later than the Date again.
    cache_.maintain(kDate);
    EXPECT_EQ(cache_.open("a.txt").file->mtime, kDate);
}

TEST_F(FileCacheSweep, AModificationTimeBeforeTheDateIsTheFilesOwn) {
    auto a = cache_.open("a.txt").file;
    ASSERT_TRUE(a);
    EXPECT_EQ(a->mtime, kDate - 100);
    EXPECT_EQ(a->last_modified, http::format_http_date(kDate - 100));
    std::weak_ptr<const http::OpenFile> watched = a;
    a.reset();
    cache_.maintain(kDate + 1);
    EXPECT_FALSE(watched.expired()) << "a file whose Last-Modified does not change is kept";
}

// Descriptors this process holds, from /proc/self/fd.
std::size_t open_descriptors() {
    std::size_t n = 0;
    for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) ++n;
    return n;
}

TEST_F(FileCacheSweep, WhatIsNotAFileIsNotFoundAndItsDescriptorNotKept) {
    std::filesystem::create_directory(dir_ / "folder");
    const std::size_t before = open_descriptors();
    Opened folder = cache_.open("folder");
    EXPECT_EQ(folder.file, nullptr);
    EXPECT_EQ(folder.status, OpenStatus::not_found);
    EXPECT_EQ(open_descriptors(), before);
}

TEST_F(FileCacheSweep, ALinkOutOfTheCacheDirectoryIsForbidden) {
    ct_test::TempDir outside;
    ct_test::write_file(outside / "secret.txt", "outside");
    std::filesystem::create_symlink(outside / "secret.txt", dir_ / "out.txt");
    Opened out = cache_.open("out.txt");
    EXPECT_EQ(out.file, nullptr);
    EXPECT_EQ(out.status, OpenStatus::forbidden);
}

TEST(FileCacheDirectory, AMissingCacheDirectorySaysWhich) {
    try {
        FileCache cache("/nonexistent-cache-dir");
        FAIL() << "opened";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("/nonexistent-cache-dir"), std::string::npos) << e.what();
    }
}

TEST(MtimeNs, KeepsTheNanoseconds) {
    struct stat st {};
    st.st_mtim.tv_sec = 1800000000;
    st.st_mtim.tv_nsec = 123456789;
    EXPECT_EQ(mtime_ns(st), 1800000000123456789);
}

}  // namespace
}  // namespace cache_tier::store
