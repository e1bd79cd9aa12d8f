// The ordered index of cached names: pages under a prefix after a name, and
// the walk of the cache directory that fills it at start.
#include <gtest/gtest.h>

#include "store/name_index.hpp"
#include "support/process.hpp"

namespace cache_tier::store {
namespace {

using Names = std::vector<std::string>;

void insert_all(NameIndex& index, const Names& names) {
    for (const auto& n : names) index.insert(n);
}

TEST(NameIndex, PagesInByteOrderUnderAPrefixAfterAName) {
    NameIndex index;
    insert_all(index, {"show/b", "show/a", "show", "showcase", "other", "show/c"});
    EXPECT_EQ(index.page("", "", 10), (Names{"other", "show", "show/a", "show/b", "show/c", "showcase"}));
    EXPECT_EQ(index.page("show/", "", 2), (Names{"show/a", "show/b"}));
    EXPECT_EQ(index.page("show/", "show/b", 2), (Names{"show/c"}));
    EXPECT_EQ(index.page("show/", "a", 1), (Names{"show/a"})) << "an `after` before the prefix starts at the prefix";
    EXPECT_EQ(index.page("show/", "zzz", 5), Names{});
    EXPECT_EQ(index.page("none/", "", 5), Names{});
    EXPECT_EQ(index.page("", "show/c", 5), (Names{"showcase"}));
}

TEST(NameIndex, InsertIsIdempotentAndEraseSaysWhetherItWasThere) {
    NameIndex index;
    insert_all(index, {"a", "a", "b"});
    EXPECT_EQ(index.size(), 2u);
    EXPECT_TRUE(index.erase("a"));
    EXPECT_FALSE(index.erase("a"));
    EXPECT_FALSE(index.contains("a"));
    EXPECT_TRUE(index.contains("b"));
}

// Files dropped in by hand under names no request can spell are not listed:
// paging by such a name (its bytes replaced on the way through JSON) would
// skip names or loop.
TEST(NameIndex, LeavesOutNamesNoRequestCanReach) {
    NameIndex index;
    insert_all(index, {"caf\xe9.mp3", "Upper.mp3", "a\\b", "show/ok.mp3", "\xc3\xa9t\xc3\xa9.mp3"});
    EXPECT_EQ(index.page("", "", 10), (Names{"show/ok.mp3", "\xc3\xa9t\xc3\xa9.mp3"}));
    EXPECT_TRUE(NameIndex::reachable("show/ok.mp3"));
    EXPECT_FALSE(NameIndex::reachable("caf\xe9.mp3"));
    EXPECT_FALSE(NameIndex::reachable("Upper.mp3"));
}

TEST(CacheScan, FindsRegularFilesButNotTheStateFolderNorLinks) {
    ct_test::TempDir dir;
    ct_test::write_file(dir / "a.mp3", "a");
    ct_test::write_file(dir / "show/b.mp3", "bb");
    ct_test::write_file(dir / ".cache-tier/meta/x", "state");
    std::filesystem::create_symlink("/etc/passwd", dir / "link");
    Names found;
    const auto ec = for_each_cached_file(dir.path(), [&](const std::string& local, const struct stat& st) {
        found.push_back(local + ":" + std::to_string(st.st_size));
    });
    EXPECT_FALSE(ec);
    std::sort(found.begin(), found.end());
    EXPECT_EQ(found, (Names{"a.mp3:1", "show/b.mp3:2"}));
}

}  // namespace
}  // namespace cache_tier::store
