// Names and case against the real binary, with Debian's nginx as a
// case-sensitive origin: local copies are lower-case and the origin is asked
// with a client's spelling, so no spelling may damage a copy for everybody,
// and /verify and /download call a file available exactly when /static serves it.
#include <unistd.h>

#include <csignal>
#include <thread>

#include <gtest/gtest.h>

#include "fill_support.hpp"

namespace fill_it {
namespace {

using ct_test::CacheTierServer;
using ct_test::Nginx;
using ct_test::TempDir;

TEST(FillNames, RevalidationAsksForTheKeyTheCopyWasFetchedWithWhoeverAsks) {
    TempDir origin, cache;
    const std::string body = ct_test::random_bytes(20000, 3);
    ct_test::write_file(origin / "Mixed.MP3", body);
    Nginx nginx(world_readable(origin.path()));
    {
        CacheTierServer first(cache.path(), {"--origin", nginx.base_url()});
        ASSERT_TRUE(eventually_state(first.port(), "Mixed.MP3", "cached")) << server_log(first);
        EXPECT_EQ(first.process().stop(SIGTERM), 0);
    }
    age_records(cache.path());

    // Anyone may ask through the public /download with another spelling.
    CacheTierServer server(cache.path(), {"--origin", nginx.base_url(), "--revalidate-after", "3600"});
    auto answer = ct_test::http_get(server.port(), "/download/mixed.mp3");
    ASSERT_TRUE(answer);
    EXPECT_EQ(answer->status, 302);
    ASSERT_TRUE(ct_test::eventually([&] { return nginx.count_requests("GET /Mixed.MP3") == 2; }, 10s))
        << server_log(server);
    EXPECT_EQ(nginx.count_requests("GET /mixed.mp3"), 0);

    // The copy is still there, whole, and still available under every spelling.
    auto copy = ct_test::http_get(server.port(), "/static/files_cache/mixed.mp3");
    ASSERT_TRUE(copy);
    EXPECT_EQ(copy->status, 200);
    EXPECT_TRUE(copy->body == body);
    EXPECT_EQ(verify(server.port(), "MIXED.mp3")["available"], true);
}

TEST(FillNames, A404ForAnotherSpellingOfAnOldRecordNeverRemovesTheCopy) {
    TempDir origin, cache;
    ct_test::write_file(origin / "Old.MP3", "kept bytes");
    Nginx nginx(world_readable(origin.path()));
    {
        CacheTierServer first(cache.path(), {"--origin", nginx.base_url()});
        ASSERT_TRUE(eventually_state(first.port(), "Old.MP3", "cached")) << server_log(first);
        EXPECT_EQ(first.process().stop(SIGTERM), 0);
    }
    // A record as versions before this one wrote it: no key, so the asker's spelling is a guess.
    edit_records(cache.path(), [](nlohmann::json& record) {
        record["fetched_at"] = record["fetched_at"].get<std::int64_t>() - 86400;
        record.erase("key");
    });
    CacheTierServer server(cache.path(), {"--origin", nginx.base_url(), "--revalidate-after", "3600"});
    EXPECT_EQ(verify(server.port(), "old.mp3")["available"], true);
    ASSERT_TRUE(ct_test::eventually([&] { return nginx.count_requests("GET /old.mp3") == 1; }, 10s));
    // The outcome is logged once the fill is over: kept, or (the defect) removed.
    ASSERT_TRUE(ct_test::eventually(
        [&] {
            const std::string log = server_log(server);
            return log.find("not at the origin under this spelling") != std::string::npos ||
                   log.find("local copy removed") != std::string::npos;
        },
        10s));
    EXPECT_EQ(ct_test::read_file(cache / "old.mp3"), "kept bytes");
    EXPECT_EQ(verify(server.port(), "old.mp3")["available"], true);
    EXPECT_EQ(nginx.count_requests("GET /old.mp3"), 1);  // not asked again before revalidate_after
}

TEST(FillNames, AMissForOneSpellingDoesNotKeepAnotherFromFilling) {
    TempDir origin, cache;
    ct_test::write_file(origin / "Case.TXT", "the real file");
    Nginx nginx(world_readable(origin.path()));
    CacheTierServer server(cache.path(), {"--origin", nginx.base_url()});  // negative cache of 300 s

    ASSERT_TRUE(eventually_state(server.port(), "case.txt", "not_found")) << server_log(server);
    ASSERT_TRUE(eventually_state(server.port(), "Case.TXT", "cached")) << server_log(server);
    EXPECT_EQ(ct_test::read_file(cache / "case.txt"), "the real file");
    // Asking with the wrong spelling again finds the copy and asks no origin.
    EXPECT_EQ(verify(server.port(), "case.txt")["available"], true);
    EXPECT_EQ(nginx.count_requests("GET /case.txt"), 1);
    EXPECT_EQ(nginx.count_requests("GET /Case.TXT"), 1);
}

TEST(FillNames, VerifyAndDownloadNeverOfferWhatStaticRefuses) {
    TempDir origin, cache, outside;
    ct_test::write_file(outside / "secret.txt", "not for the public");
    fs::create_symlink(outside / "secret.txt", cache / "leak.txt");
    fs::create_symlink(outside.path(), cache / "linked");
    Nginx nginx(world_readable(origin.path()));
    CacheTierServer server(cache.path(), {"--origin", nginx.base_url()});

    for (const std::string name : {"leak.txt", "linked/secret.txt"}) {
        auto served = ct_test::http_get(server.port(), "/static/files_cache/" + name);
        ASSERT_TRUE(served);
        EXPECT_EQ(served->status, 403) << name;
        EXPECT_EQ(verify(server.port(), name)["available"], false) << name;
        auto download = ct_test::http_get(server.port(), "/download/" + name);
        ASSERT_TRUE(download);
        EXPECT_EQ(download->status, 302);
        EXPECT_EQ(download->header("Location"), nginx.base_url() + "/" + name) << name;  // the origin
    }
    EXPECT_EQ(ct_test::read_file(outside / "secret.txt"), "not for the public");
}

// A copy the server's user cannot read is refused by /static (403): /verify and
// /download must not offer it, and a fill replaces it with one that can be served.
TEST(FillNames, ACopyTheServerCannotReadIsNotOfferedAndIsRefilled) {
    TempDir origin, cache;
    ct_test::write_file(origin / "locked.mp3", "the origin's bytes");
    ct_test::write_file(cache / "locked.mp3", "unreadable");
    std::vector<std::string> wrapper;
    if (::geteuid() == 0) {
        // Root reads everything: run the server as nobody, in a cache folder nobody may write.
        wrapper = {"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"};
        fs::permissions(cache.path(), fs::perms::all);
    }
    fs::permissions(cache / "locked.mp3", fs::perms::none);
    Nginx nginx(world_readable(origin.path()));
    CacheTierServer server(cache.path(), {"--origin", nginx.base_url()}, {}, wrapper);

    auto refused = ct_test::http_get(server.port(), "/static/files_cache/locked.mp3");
    ASSERT_TRUE(refused);
    EXPECT_EQ(refused->status, 403);
    auto first = verify(server.port(), "locked.mp3");
    EXPECT_EQ(first["available"], false) << first.dump();
    ASSERT_TRUE(eventually_state(server.port(), "locked.mp3", "cached")) << server_log(server);
    auto served = ct_test::http_get(server.port(), "/static/files_cache/locked.mp3");
    ASSERT_TRUE(served);
    EXPECT_EQ(served->status, 200);
    EXPECT_EQ(served->body, "the origin's bytes");
}

TEST(FillNames, AFillNeverWritesThroughALinkOutOfTheCacheDirectory) {
    TempDir origin, cache, outside;
    ct_test::write_file(origin / "linked/new.mp3", "from the origin");
    ct_test::write_file(origin / "leak.txt", "the origin's leak.txt");
    ct_test::write_file(outside / "secret.txt", "not for the public");
    fs::create_symlink(outside.path(), cache / "linked");
    fs::create_symlink(outside / "secret.txt", cache / "leak.txt");
    Nginx nginx(world_readable(origin.path()));
    CacheTierServer server(cache.path(), {"--origin", nginx.base_url()});

    // Through a linked folder: refused, with a reason, and nothing written outside.
    ASSERT_TRUE(eventually_state(server.port(), "linked/new.mp3", "failed")) << server_log(server);
    auto json = verify(server.port(), "linked/new.mp3");
    EXPECT_NE(json["error_msg"].get<std::string>().find("cannot place 'linked/new.mp3' under the cache directory"),
              std::string::npos)
        << json.dump();
    EXPECT_FALSE(fs::exists(outside / "new.mp3"));
    EXPECT_TRUE(temp_files(cache.path()).empty());

    // A link in the file's own place is replaced by the origin's file; its target is untouched.
    ASSERT_TRUE(eventually_state(server.port(), "leak.txt", "cached")) << server_log(server);
    EXPECT_FALSE(fs::is_symlink(cache / "leak.txt"));
    EXPECT_EQ(ct_test::read_file(cache / "leak.txt"), "the origin's leak.txt");
    EXPECT_EQ(ct_test::read_file(outside / "secret.txt"), "not for the public");
    auto served = ct_test::http_get(server.port(), "/static/files_cache/leak.txt");
    ASSERT_TRUE(served);
    EXPECT_EQ(served->status, 200);
    EXPECT_EQ(served->body, "the origin's leak.txt");
}

}  // namespace
}  // namespace fill_it
