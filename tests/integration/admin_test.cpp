// The admin API and its commands against the real binary, with Debian's nginx
// as the origin: warm, list and page, purge (one name, a prefix), refresh
// (changed: new content; unchanged: a 304 at the origin), the token, the API
// off, its own listener, and the exit codes of ls/purge/refresh/warm.
#include <sys/stat.h>

#include <csignal>

#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

#include "support/http_client.hpp"
#include "support/process.hpp"
#include "support/serve_helpers.hpp"

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using json = nlohmann::json;
using ct_test::CacheTierServer;
using ct_test::Nginx;

constexpr char kToken[] = "integration-token-0123456789";

class AdminApi : public ::testing::Test {
protected:
    ct_test::TempDir origin_dir;
    ct_test::TempDir cache;
    ct_test::TempDir secrets;
    std::unique_ptr<Nginx> nginx;
    fs::path token_file;

    void SetUp() override {
        // nginx serves as nobody: the origin folder must be readable by all.
        fs::permissions(origin_dir.path(), fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                                               fs::perms::others_read | fs::perms::others_exec);
        for (const char* name : {"show/ep1.mp3", "show/ep2.mp3", "show/ep3.mp3", "other.mp3"})
            write_origin(name, std::string("content of ") + name);
        nginx = std::make_unique<Nginx>(origin_dir.path());
        token_file = secrets / "token";
        ct_test::write_file(token_file, std::string(kToken) + "\n");
        ::chmod(token_file.c_str(), 0600);
    }

    void write_origin(const std::string& name, const std::string& body) {
        ct_test::write_file(origin_dir / name, body);
        fs::permissions(origin_dir / name, fs::perms::owner_read | fs::perms::owner_write | fs::perms::others_read |
                                               fs::perms::group_read);
        fs::permissions((origin_dir / name).parent_path(), fs::perms::owner_all | fs::perms::others_read |
                                                               fs::perms::others_exec | fs::perms::group_read |
                                                               fs::perms::group_exec);
    }

    std::unique_ptr<CacheTierServer> start(std::vector<std::string> extra = {}) {
        std::vector<std::string> args = {"--origin", nginx->base_url(), "--threads", "1"};
        args.insert(args.end(), extra.begin(), extra.end());
        return std::make_unique<CacheTierServer>(cache.path(), args);
    }

    static std::optional<ct_test::HttpResponse> admin(int port, const std::string& method, const std::string& target,
                                                      const std::string& body = "", const char* token = kToken) {
        std::vector<std::string> headers;
        if (token) headers.push_back(std::string("Authorization: Bearer ") + token);
        if (method == "POST") headers.push_back("Content-Length: " + std::to_string(body.size()));
        ct_test::Connection c(port);
        if (!c.send(ct_test::make_request(method, target, headers) + body)) return std::nullopt;
        return c.read_response(method == "HEAD", 10s);
    }

    static json body_of(const std::optional<ct_test::HttpResponse>& r) {
        return r ? json::parse(r->body, nullptr, false) : json();
    }

    bool cached(const std::string& local) { return fs::exists(cache.path() / local); }

    // `cache-tier <command> --server URL --token-file FILE <args...>`.
    ct_test::CommandResult cli(const std::string& command, int port, std::vector<std::string> args = {},
                               const fs::path* token = nullptr) {
        std::vector<std::string> argv = {command, "--server", "http://127.0.0.1:" + std::to_string(port),
                                         "--token-file", (token ? *token : token_file).string()};
        argv.insert(argv.end(), args.begin(), args.end());
        return ct_test::run_cache_tier(argv, 30s);
    }
};

TEST_F(AdminApi, OffWithoutATokenAnd401WithoutTheRightOne) {
    {
        auto server = start();
        auto r = admin(server->port(), "GET", "/admin/files");
        ASSERT_TRUE(r);
        EXPECT_EQ(r->status, 404) << "the admin API is off without a token";
        EXPECT_EQ(cli("ls", server->port()).status, 2);
    }
    auto server = start({"--admin-token-file", token_file.string()});
    auto r = admin(server->port(), "GET", "/admin/files", "", nullptr);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 401);
    EXPECT_EQ(r->header("WWW-Authenticate"), "Bearer realm=\"cache-tier admin\"");
    r = admin(server->port(), "GET", "/admin/files", "", "integration-token-012345678X");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 401);
    r = admin(server->port(), "GET", "/admin/files");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->header("Cache-Control"), "no-store");
    const fs::path wrong = secrets / "wrong";
    ct_test::write_file(wrong, "not-the-token-at-all\n");
    const auto refused = cli("ls", server->port(), {}, &wrong);
    EXPECT_EQ(refused.status, 2);
    EXPECT_NE(refused.err.find("401"), std::string::npos) << refused.err;
}

TEST_F(AdminApi, WarmFillsAheadOfTrafficThenListsInPages) {
    auto server = start({"--admin-token-file", token_file.string()});
    auto r = admin(server->port(), "POST", "/admin/warm", R"(["show/ep1.mp3", "show/ep2.mp3", "show/ep3.mp3"])");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 202);
    EXPECT_EQ(body_of(r)["queued"], 3);
    ASSERT_TRUE(ct_test::eventually([&] { return cached("show/ep1.mp3") && cached("show/ep2.mp3") && cached("show/ep3.mp3"); }, 30s));
    EXPECT_EQ(nginx->count_requests("GET /show/ep"), 3) << "one origin GET each, and no user asked";

    auto page = body_of(admin(server->port(), "GET", "/admin/files?prefix=show/&limit=2"));
    ASSERT_EQ(page["files"].size(), 2u);
    EXPECT_EQ(page["files"][0]["name"], "show/ep1.mp3");
    EXPECT_EQ(page["files"][0]["size"], std::string("content of show/ep1.mp3").size());
    EXPECT_TRUE(page["files"][0]["etag"].is_string());
    EXPECT_TRUE(page["more"].get<bool>());
    page = body_of(admin(server->port(), "GET", "/admin/files?prefix=show/&limit=2&after=" +
                                                    page["next_after"].get<std::string>()));
    ASSERT_EQ(page["files"].size(), 1u);
    EXPECT_EQ(page["files"][0]["name"], "show/ep3.mp3");
    EXPECT_FALSE(page["more"].get<bool>());

    // A body past the limit is refused before it is read.
    ct_test::Connection c(server->port());
    c.send(ct_test::make_request("POST", "/admin/warm",
                                 {std::string("Authorization: Bearer ") + kToken, "Content-Length: 2000000"}));
    auto big = c.read_response(false, 10s);
    ASSERT_TRUE(big);
    EXPECT_EQ(big->status, 413);
}

TEST_F(AdminApi, PurgeStopsServingAtOnceAndTheNextRequestFillsAgain) {
    auto server = start({"--admin-token-file", token_file.string()});
    admin(server->port(), "POST", "/admin/warm", R"(["show/ep1.mp3", "show/ep2.mp3", "other.mp3"])");
    ASSERT_TRUE(ct_test::eventually([&] { return cached("show/ep1.mp3") && cached("show/ep2.mp3") && cached("other.mp3"); }, 30s));
    // The one server thread has the file open in its cache of descriptors.
    auto before = ct_test::http_get(server->port(), ct_test::static_url("show/ep1.mp3"));
    ASSERT_TRUE(before);
    ASSERT_EQ(before->status, 200);

    auto r = admin(server->port(), "DELETE", "/admin/files/show/ep1.mp3");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_TRUE(body_of(r)["removed"].get<bool>());
    auto after = ct_test::http_get(server->port(), ct_test::static_url("show/ep1.mp3"));
    ASSERT_TRUE(after);
    EXPECT_EQ(after->status, 404) << "a purged file is not served, not even from an open descriptor";
    auto verify = ct_test::http_get(server->port(), "/verify/show/ep1.mp3");
    ASSERT_TRUE(verify);
    auto answer = json::parse(verify->body);
    EXPECT_FALSE(answer["available"].get<bool>());
    EXPECT_EQ(answer["state"], "filling") << "the verify starts a new fill";
    ASSERT_TRUE(ct_test::eventually([&] { return cached("show/ep1.mp3"); }, 30s));
    EXPECT_EQ(nginx->count_requests("GET /show/ep1.mp3"), 2);

    r = admin(server->port(), "DELETE", "/admin/files?prefix=show/");
    ASSERT_TRUE(r);
    EXPECT_EQ(body_of(r)["removed"], 2);
    EXPECT_FALSE(cached("show/ep1.mp3"));
    EXPECT_FALSE(cached("show/ep2.mp3"));
    EXPECT_TRUE(cached("other.mp3"));
    auto left = body_of(admin(server->port(), "GET", "/admin/files"));
    ASSERT_EQ(left["files"].size(), 1u);
    EXPECT_EQ(left["files"][0]["name"], "other.mp3");
}

TEST_F(AdminApi, RefreshReplacesAChangedFileAndKeepsAnUnchangedOne) {
    auto server = start({"--admin-token-file", token_file.string()});
    admin(server->port(), "POST", "/admin/warm", R"(["show/ep1.mp3", "other.mp3"])");
    ASSERT_TRUE(ct_test::eventually([&] { return cached("show/ep1.mp3") && cached("other.mp3"); }, 30s));

    // Unchanged: a conditional GET, answered 304, and the same copy.
    struct stat before {};
    ASSERT_EQ(::stat((cache.path() / "other.mp3").c_str(), &before), 0);
    // A copy is in place a moment before its fill's bookkeeping ends; until
    // then a refresh is refused with 409 (a fill of it is running), as documented.
    auto refresh = [&](const std::string& name) {
        std::optional<ct_test::HttpResponse> answer;
        EXPECT_TRUE(ct_test::eventually([&] {
            answer = admin(server->port(), "POST", "/admin/refresh/" + name);
            return answer && answer->status != 409;
        }, 10s)) << "a refresh of " << name << " kept answering 409";
        return answer;
    };
    auto r = refresh("other.mp3");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 202);
    ASSERT_TRUE(ct_test::eventually([&] { return nginx->count_requests("GET /other.mp3 HTTP/1.1\" 304") == 1; }, 30s));
    struct stat after {};
    ASSERT_EQ(::stat((cache.path() / "other.mp3").c_str(), &after), 0);
    EXPECT_EQ(before.st_ino, after.st_ino);

    // Changed: the new content is served once it is whole.
    write_origin("show/ep1.mp3", "a corrected episode, longer than before");
    r = refresh("show/ep1.mp3");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 202);
    ASSERT_TRUE(ct_test::eventually(
        [&] {
            auto got = ct_test::http_get(server->port(), ct_test::static_url("show/ep1.mp3"));
            return got && got->status == 200 && got->body == "a corrected episode, longer than before";
        },
        30s));
    r = admin(server->port(), "POST", "/admin/refresh/never-cached.mp3");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 404);
}

TEST_F(AdminApi, OnItsOwnListenerTheMainOneHasNoAdmin) {
    const int admin_port = ct_test::free_port();
    auto server = start({"--admin-token-file", token_file.string(), "--admin-listen",
                         "127.0.0.1:" + std::to_string(admin_port)});
    ASSERT_TRUE(ct_test::wait_for_port(admin_port, 10s));
    auto r = admin(server->port(), "GET", "/admin/files");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 404);
    r = admin(admin_port, "GET", "/admin/files");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    r = admin(admin_port, "GET", "/verify/other.mp3");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 404) << "the admin listener serves /admin/ only";
    auto verify = ct_test::http_get(server->port(), "/verify/other.mp3");
    ASSERT_TRUE(verify);
    EXPECT_EQ(verify->status, 200);
    // SIGTERM stops both.
    EXPECT_EQ(server->process().stop(SIGTERM, 30s), 0);
}

TEST_F(AdminApi, CommandsAndTheirExitCodes) {
    auto server = start({"--admin-token-file", token_file.string()});
    const int port = server->port();
    auto warm = cli("warm", port, {"show/ep1.mp3", "show/ep2.mp3", "missing.mp3"});
    EXPECT_EQ(warm.status, 0) << warm.out << warm.err;
    EXPECT_NE(warm.out.find("queued: show/ep1.mp3"), std::string::npos) << warm.out;
    ASSERT_TRUE(ct_test::eventually([&] { return cached("show/ep1.mp3") && cached("show/ep2.mp3"); }, 30s));
    ASSERT_TRUE(ct_test::eventually([&] { return cli("warm", port, {"missing.mp3"}).status == 1; }, 30s))
        << "a name the origin does not have is reported, exit 1";

    auto ls = cli("ls", port, {"show/"});
    EXPECT_EQ(ls.status, 0) << ls.err;
    EXPECT_EQ(ct_test::split_lines(ls.out).size(), 2u) << ls.out;
    EXPECT_NE(ls.out.find("show/ep2.mp3"), std::string::npos);
    EXPECT_EQ(cli("ls", port, {"nothing/"}).status, 1);

    EXPECT_EQ(cli("refresh", port, {"show/ep1.mp3"}).status, 0);
    EXPECT_EQ(cli("refresh", port, {"never.mp3"}).status, 1);
    ASSERT_TRUE(ct_test::eventually([&] { return nginx->count_requests("GET /show/ep1.mp3 HTTP/1.1\" 304") == 1; }, 30s));

    auto purge = cli("purge", port, {"show/ep1.mp3"});
    EXPECT_EQ(purge.status, 0) << purge.err;
    EXPECT_FALSE(cached("show/ep1.mp3"));
    EXPECT_EQ(cli("purge", port, {"show/ep1.mp3"}).status, 1);
    EXPECT_EQ(cli("purge", port, {"--prefix", "show/"}).status, 0);
    EXPECT_FALSE(cached("show/ep2.mp3"));
    EXPECT_EQ(cli("purge", port, {"--prefix", "show/"}).status, 1);
    EXPECT_EQ(cli("purge", port, {}).status, 2) << "neither names nor a prefix";
    EXPECT_EQ(cli("ls", ct_test::free_port()).status, 2) << "no server answers";
}

TEST_F(AdminApi, WarmTakesANamesFileOfAnyLengthAndAnyBytes) {
    // More names than one call takes (10000), and one in Latin-1 that JSON
    // cannot carry: the command splits the list and reports that name, exit 1
    // (before: it aborted on the Latin-1 name, and the server refused the list).
    auto server = start({"--admin-token-file", token_file.string()});
    std::string list;
    for (int i = 0; i < 10000; ++i) list += "show/ep1.mp3\n";
    list += "show/ep2.mp3\ncaf\xe9.mp3\n";
    const fs::path names = secrets / "names.txt";
    ct_test::write_file(names, list);
    auto warm = cli("warm", server->port(), {"--names-file", names.string()});
    EXPECT_EQ(warm.status, 1) << warm.err;
    EXPECT_EQ(ct_test::split_lines(warm.out).size(), 10002u) << warm.err;
    EXPECT_NE(warm.out.find("invalid: caf\xe9.mp3 (not UTF-8"), std::string::npos) << warm.err;
    EXPECT_NE(warm.out.find("show/ep2.mp3"), std::string::npos);
    ASSERT_TRUE(ct_test::eventually([&] { return cached("show/ep1.mp3") && cached("show/ep2.mp3"); }, 30s));
}

}  // namespace
