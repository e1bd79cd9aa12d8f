#include "store/metadata.hpp"

#include <algorithm>

#include <gtest/gtest.h>

#include "store/layout.hpp"
#include "support/process.hpp"

namespace cache_tier::store {
namespace {

namespace fs = std::filesystem;

FileMeta sample() {
    return FileMeta{"\"5f2a-1000\"", "Sun, 06 Nov 1994 08:49:37 GMT", 4096, 1700000000, "Show/Ep1.MP3"};
}

TEST(MetadataRecord, RoundTrips) {
    std::string name;
    FileMeta meta;
    ASSERT_TRUE(parse_record(format_record("show/ep 1.mp3", sample()), name, meta));
    EXPECT_EQ(name, "show/ep 1.mp3");
    EXPECT_EQ(meta, sample());
}

TEST(MetadataRecord, ARecordFromBeforeKeysWereKeptReadsWithAnEmptyKey) {
    std::string name;
    FileMeta meta;
    ASSERT_TRUE(parse_record("{\"name\":\"a\",\"etag\":\"\",\"last_modified\":\"\",\"size\":1,\"fetched_at\":0}",
                             name, meta));
    EXPECT_EQ(meta.origin_key, "");
    EXPECT_FALSE(parse_record(
        "{\"name\":\"a\",\"etag\":\"\",\"last_modified\":\"\",\"size\":1,\"fetched_at\":0,\"key\":5}", name, meta));
}

TEST(MetadataRecord, InvalidUtf8InValidatorsDoesNotThrow) {
    FileMeta odd = sample();
    odd.etag = "\"\xff\xfe\"";
    std::string name;
    FileMeta meta;
    EXPECT_TRUE(parse_record(format_record("a", odd), name, meta));
}

TEST(MetadataRecord, RefusesMalformedText) {
    std::string name;
    FileMeta meta;
    for (const char* text : {"", "{", "[]", "{\"name\":\"a\"}",
                             "{\"name\":\"a\",\"etag\":\"\",\"last_modified\":\"\",\"size\":-1,\"fetched_at\":0}",
                             "{\"name\":\"\",\"etag\":\"\",\"last_modified\":\"\",\"size\":1,\"fetched_at\":0}",
                             "{\"name\":\"a\",\"etag\":1,\"last_modified\":\"\",\"size\":1,\"fetched_at\":0}"})
        EXPECT_FALSE(parse_record(text, name, meta)) << text;
}

TEST(MetadataStore, SaveLoadRemove) {
    ct_test::TempDir dir;
    MetadataStore store(dir.path());
    ASSERT_TRUE(store.prepare().ok());
    EXPECT_FALSE(store.load("a/b.mp3"));
    ASSERT_TRUE(store.save("a/b.mp3", sample()).ok());
    ASSERT_TRUE(store.load("a/b.mp3"));
    EXPECT_EQ(*store.load("a/b.mp3"), sample());
    EXPECT_TRUE(store.record_path("a/b.mp3").string().starts_with((dir.path() / kMetaDir).string()));

    FileMeta newer = sample();
    newer.fetched_at += 60;
    ASSERT_TRUE(store.save("a/b.mp3", newer).ok());
    EXPECT_EQ(store.load("a/b.mp3")->fetched_at, newer.fetched_at);

    store.remove("a/b.mp3");
    EXPECT_FALSE(store.load("a/b.mp3"));
    store.remove("a/b.mp3");  // twice is fine
}

TEST(MetadataStore, SaveLeavesNoTemporaryFile) {
    ct_test::TempDir dir;
    MetadataStore store(dir.path());
    ASSERT_TRUE(store.prepare().ok());
    ASSERT_TRUE(store.save("x", sample()).ok());
    EXPECT_TRUE(fs::is_empty(dir.path() / kTempDir));
}

TEST(MetadataStore, NamesLongerThanAFileNameWork) {
    ct_test::TempDir dir;
    MetadataStore store(dir.path());
    ASSERT_TRUE(store.prepare().ok());
    const std::string long_name = std::string(255, 'a') + "/" + std::string(255, 'b');
    ASSERT_TRUE(store.save(long_name, sample()).ok());
    EXPECT_TRUE(store.load(long_name));
}

TEST(MetadataStore, LoadAllSkipsBrokenRecordsAndSaysSo) {
    ct_test::TempDir dir;
    MetadataStore store(dir.path());
    ASSERT_TRUE(store.prepare().ok());
    ASSERT_TRUE(store.save("one", sample()).ok());
    ASSERT_TRUE(store.save("two/three", sample()).ok());
    ct_test::write_file(dir.path() / kMetaDir / "zz" / "garbage.json", "not json");
    // A valid record in the wrong place (as if copied by hand) is not trusted either.
    ct_test::write_file(dir.path() / kMetaDir / "zz" / "0000000000000000.json", format_record("four", sample()));

    std::vector<std::string> problems;
    auto records = store.load_all(&problems);
    ASSERT_EQ(records.size(), 2u);
    std::sort(records.begin(), records.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    EXPECT_EQ(records[0].first, "one");
    EXPECT_EQ(records[1].first, "two/three");
    EXPECT_EQ(records[1].second, sample());
    EXPECT_EQ(problems.size(), 2u);
}

TEST(MetadataStore, LoadAllOfAFreshDirectoryIsEmpty) {
    ct_test::TempDir dir;
    std::vector<std::string> problems;
    EXPECT_TRUE(MetadataStore(dir.path()).load_all(&problems).empty());
    EXPECT_TRUE(problems.empty());
}

}  // namespace
}  // namespace cache_tier::store
