// The fill engine against a real file:// origin: what gets cached, where, and
// what survives a restart.
#include <gtest/gtest.h>

#include "fill_test_support.hpp"
#include "store/metadata.hpp"

namespace fill_test {
namespace {

class FillFromDirectory : public ::testing::Test {
protected:
    ct_test::TempDir origin_dir;
    ct_test::TempDir cache;
    FillOptions options = options_for(cache.path());

    std::unique_ptr<FillEngine> engine() {
        return std::make_unique<FillEngine>(options, origin_for("file://" + origin_dir.path().string()));
    }
};

TEST_F(FillFromDirectory, MissingFileIsFetchedIntoItsLowerCaseName) {
    const std::string body = ct_test::random_bytes(300000, 7);
    ct_test::write_file(origin_dir / "Show/Ep 1.MP3", body);
    auto fills = engine();

    FileStatus first = fills->ensure(name_of("Show/Ep%201.MP3"));
    EXPECT_EQ(first.state, FileState::filling);
    EXPECT_FALSE(first.available());
    ASSERT_TRUE(fills->wait_idle(10s));

    FileStatus second = fills->ensure(name_of("Show/Ep%201.MP3"));
    EXPECT_EQ(second.state, FileState::cached);
    EXPECT_TRUE(second.available());
    EXPECT_EQ(second.error_message, "");
    EXPECT_EQ(ct_test::read_file(cache / "show/ep 1.mp3"), body);
    EXPECT_TRUE(temp_files(cache.path()).empty());
    // Any spelling of the name is the same local copy.
    EXPECT_TRUE(fills->ensure(name_of("SHOW/ep%201.mp3")).available());
}

TEST_F(FillFromDirectory, MetadataIsWrittenAndSurvivesANewEngine) {
    ct_test::write_file(origin_dir / "a.bin", "hello");
    {
        auto fills = engine();
        ASSERT_TRUE(ensure_and_wait(*fills, "a.bin").available());
    }
    auto meta = cache_tier::store::MetadataStore(cache.path()).load("a.bin");
    ASSERT_TRUE(meta);
    EXPECT_EQ(meta->size, 5u);
    EXPECT_NE(meta->etag, "");
    EXPECT_GT(meta->fetched_at, 0);

    auto again = engine();
    EXPECT_TRUE(again->ensure(name_of("a.bin")).available());
    EXPECT_TRUE(cache_tier::store::MetadataStore(cache.path()).load("a.bin"));
}

TEST_F(FillFromDirectory, StartRemovesLeftoverTemporaryFilesAndStaleRecords) {
    ct_test::write_file(cache / ".cache-tier/tmp/fill-abc123", "half a file");
    ct_test::write_file(cache / ".cache-tier/tmp/meta-xyz", "{");
    cache_tier::store::MetadataStore records(cache.path());
    ASSERT_TRUE(records.prepare().ok());
    // A record of a file an operator deleted while the server was down.
    ASSERT_TRUE(records.save("deleted.bin", {"\"1\"", "", 10, 1, "deleted.bin"}).ok());

    auto fills = engine();
    EXPECT_TRUE(temp_files(cache.path()).empty());
    EXPECT_FALSE(records.load("deleted.bin"));
}

TEST_F(FillFromDirectory, AFileAnOperatorDropsInIsCachedAndADeletedOneIsNot) {
    auto fills = engine();
    ct_test::write_file(cache / "dropped/by hand.txt", "x");
    EXPECT_TRUE(fills->ensure(name_of("Dropped/By%20Hand.txt")).available());

    ct_test::write_file(origin_dir / "b.bin", "origin copy");
    ASSERT_TRUE(ensure_and_wait(*fills, "b.bin").available());
    fs::remove(cache / "b.bin");
    EXPECT_EQ(fills->ensure(name_of("b.bin")).state, FileState::filling);  // and refilled
    ASSERT_TRUE(fills->wait_idle(10s));
    EXPECT_EQ(ct_test::read_file(cache / "b.bin"), "origin copy");
}

TEST_F(FillFromDirectory, ADirectoryIsNotACachedFile) {
    fs::create_directories(cache / "folder");
    auto fills = engine();
    EXPECT_FALSE(fills->ensure(name_of("folder")).available());
}

TEST_F(FillFromDirectory, MissingAtTheOriginIsRememberedAsNotFound) {
    options.negative_ttl = 3600s;
    auto fills = engine();
    FileStatus status = ensure_and_wait(*fills, "Nope.bin");
    EXPECT_EQ(status.state, FileState::not_found);
    EXPECT_FALSE(status.available());
    EXPECT_NE(status.error_message.find("origin has no file 'Nope.bin'"), std::string::npos) << status.error_message;

    // Within the negative time that spelling is not fetched, even once the origin has it.
    ct_test::write_file(origin_dir / "Nope.bin", "now it exists");
    EXPECT_EQ(fills->ensure(name_of("Nope.bin")).state, FileState::not_found);
    ASSERT_TRUE(fills->wait_idle(5s));
    EXPECT_FALSE(fs::exists(cache / "nope.bin"));
}

TEST_F(FillFromDirectory, AMissOfOneSpellingDoesNotKeepAnotherFromFilling) {
    options.negative_ttl = 3600s;
    ct_test::write_file(origin_dir / "Case.TXT", "the real one");
    auto fills = engine();
    EXPECT_EQ(ensure_and_wait(*fills, "case.txt").state, FileState::not_found);
    EXPECT_TRUE(ensure_and_wait(*fills, "Case.TXT").available());
    EXPECT_EQ(ct_test::read_file(cache / "case.txt"), "the real one");
    // Once cached, every spelling finds the copy.
    EXPECT_TRUE(fills->ensure(name_of("case.txt")).available());
}

TEST_F(FillFromDirectory, MissesPerFileAreBoundedAndEachSpellingIsRemembered) {
    options.negative_ttl = 3600s;
    auto fills = engine();
    const std::vector<std::string> spellings = {"ab.bin", "aB.bin", "Ab.bin", "AB.bin", "ab.Bin", "aB.Bin",
                                                "Ab.Bin", "AB.Bin", "ab.bIn", "aB.bIn"};
    for (const auto& spelling : spellings) EXPECT_EQ(ensure_and_wait(*fills, spelling).state, FileState::not_found);
    // The most recent misses are still remembered; the oldest were forgotten and are asked again.
    EXPECT_EQ(fills->ensure(name_of("aB.bIn")).state, FileState::not_found);
    EXPECT_EQ(fills->ensure(name_of("ab.bin")).state, FileState::filling);
    ASSERT_TRUE(fills->wait_idle(5s));
}

TEST_F(FillFromDirectory, AfterTheNegativeTimeTheFileIsFetchedAgain) {
    options.negative_ttl = 0s;
    auto fills = engine();
    EXPECT_EQ(ensure_and_wait(*fills, "late.bin").state, FileState::filling);  // re-queued at once
    ASSERT_TRUE(fills->wait_idle(5s));
    ct_test::write_file(origin_dir / "late.bin", "arrived");
    EXPECT_TRUE(ensure_and_wait(*fills, "late.bin").available());
}

TEST_F(FillFromDirectory, TooLargeFilesAreRefusedClearly) {
    options.max_file_size = 1000;
    ct_test::write_file(origin_dir / "big.bin", ct_test::random_bytes(5000));
    ct_test::write_file(origin_dir / "small.bin", ct_test::random_bytes(1000));
    auto fills = engine();

    FileStatus big = ensure_and_wait(*fills, "big.bin");
    EXPECT_EQ(big.state, FileState::failed);
    EXPECT_NE(big.error_message, "");
    EXPECT_FALSE(fs::exists(cache / "big.bin"));
    EXPECT_TRUE(temp_files(cache.path()).empty());
    EXPECT_TRUE(ensure_and_wait(*fills, "small.bin").available());
}

TEST_F(FillFromDirectory, AFailedFillBacksOffAndKeepsItsReason) {
    // A name whose parent is a file cannot be stored: a local failure.
    ct_test::write_file(cache / "plain", "a file, not a folder");
    ct_test::write_file(origin_dir / "plain/child.bin", "x");
    auto fills = engine();
    FileStatus status = ensure_and_wait(*fills, "plain/child.bin");
    EXPECT_EQ(status.state, FileState::failed);
    EXPECT_NE(status.error_message.find("cannot place 'plain/child.bin' under the cache directory: Not a directory"),
              std::string::npos)
        << status.error_message;
    EXPECT_TRUE(temp_files(cache.path()).empty());
    // retry_min is a minute: still failed, and no new fill was queued.
    EXPECT_EQ(fills->ensure(name_of("plain/child.bin")).state, FileState::failed);
}

TEST_F(FillFromDirectory, FailuresAreRetriedWhenTheBackoffHasPassed) {
    options.retry_min = 0s;
    ct_test::write_file(cache / "plain", "a file, not a folder");
    ct_test::write_file(origin_dir / "plain/child.bin", "x");
    auto fills = engine();
    ASSERT_EQ(ensure_and_wait(*fills, "plain/child.bin").state, FileState::filling);
    ASSERT_TRUE(fills->wait_idle(5s));
    // The retry keeps reporting why the last one failed.
    FileStatus status = fills->ensure(name_of("plain/child.bin"));
    EXPECT_NE(status.error_message, "");
    ASSERT_TRUE(fills->wait_idle(5s));
    fs::remove(cache / "plain");
    EXPECT_TRUE(ensure_and_wait(*fills, "plain/child.bin").available());
}

TEST_F(FillFromDirectory, OriginUrlKeepsTheClientsCase) {
    auto fills = engine();
    EXPECT_NE(fills->origin_url(name_of("Dir/File.MP3")).find("Dir/File.MP3"), std::string::npos);
}

}  // namespace
}  // namespace fill_test
