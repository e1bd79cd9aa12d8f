// The command line of `cache-tier serve` (issue 2, points 2 and 6): help and
// version, one-line errors with exit status 2, the config file and its
// original keys, signals, and the access log in nginx's combined format.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <map>
#include <regex>
#include <thread>

#include "support/http_client.hpp"
#include "support/process.hpp"
#include "support/serve_helpers.hpp"

namespace ct_test {
namespace {

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
    for (std::size_t at = 0; (at = text.find(from, at)) != std::string::npos; at += to.size()) text.replace(at, from.size(), to);
    return text;
}

// stderr must be exactly one non-empty line.
void expect_one_line(const std::string& err, const std::string& what) {
    std::string body = err;
    if (!body.empty() && body.back() == '\n') body.pop_back();
    EXPECT_FALSE(body.empty()) << what << ": nothing on stderr";
    EXPECT_EQ(body.find('\n'), std::string::npos) << what << ": more than one line on stderr:\n" << err;
}

// ---- --help and --version ----------------------------------------------------

TEST(ServeCli, HelpNamesTheServeCommandAndItsFlags) {
    auto top = run_cache_tier({"--help"});
    EXPECT_EQ(top.status, 0) << top.err;
    EXPECT_NE(top.out.find("serve"), std::string::npos) << top.out;

    auto serve = run_cache_tier({"serve", "--help"});
    EXPECT_EQ(serve.status, 0) << serve.err;
    for (auto flag : {"--listen", "--cache-dir", "--origin", "--threads", "--config", "--access-log", "--cache-control",
                      "--static-prefix", "--help", "--version"})
        EXPECT_NE(serve.out.find(flag), std::string::npos) << "serve --help does not mention " << flag;
}

// docs/configuration.md and --help both show the option structs' defaults:
// every flag whose help names a default names the one the docs table gives.
TEST(ServeCli, HelpAndTheConfigurationDocsShowTheSameDefaults) {
    auto serve = run_cache_tier({"serve", "--help"});
    ASSERT_EQ(serve.status, 0) << serve.err;
    const auto help = ct_test::split_lines(serve.out);
    const auto docs = ct_test::split_lines(ct_test::read_file(fs::path(CACHE_TIER_SOURCE_DIR) / "docs/configuration.md"));
    int compared = 0;
    for (const auto& row : docs) {
        // | `key` | `--flag` | default | meaning |
        std::vector<std::string> cells;
        std::size_t at = 0;
        while ((at = row.find('|', at)) != std::string::npos) {
            auto next = row.find('|', at + 1);
            if (next == std::string::npos) break;
            std::string cell = row.substr(at + 1, next - at - 1);
            std::erase(cell, '`');
            while (!cell.empty() && cell.front() == ' ') cell.erase(0, 1);
            while (!cell.empty() && cell.back() == ' ') cell.pop_back();
            cells.push_back(cell);
            at = next;
        }
        if (cells.size() < 3 || !cells[1].starts_with("--")) continue;
        for (const auto& line : help) {
            if (line.find("  " + cells[1] + " ") == std::string::npos) continue;
            if (line.find("(default ") == std::string::npos && line.find("; default ") == std::string::npos) break;
            EXPECT_NE(line.find(cells[2]), std::string::npos) << cells[1] << ": docs say " << cells[2] << "; --help: " << line;
            ++compared;
        }
    }
    EXPECT_GE(compared, 8);
}

TEST(ServeCli, VersionPrintsAVersionNumber) {
    for (auto args : {std::vector<std::string>{"--version"}, std::vector<std::string>{"serve", "--version"}}) {
        auto r = run_cache_tier(args);
        EXPECT_EQ(r.status, 0) << args.back() << r.err;
        EXPECT_TRUE(std::regex_search(r.out, std::regex(R"(\b\d+\.\d+\.\d+\b)"))) << "version output: " << r.out;
    }
}

// ---- Bad input: exit status 2 and one line saying what and where --------------

struct BadInputCase {
    std::string name;
    std::string config_json;  // written to {dir}/config.json when not empty
    std::vector<std::string> args;  // "{dir}" and "{cache}" are replaced
    std::vector<std::string> needles;  // all must appear in the line (after the same replacement)
};

void PrintTo(const BadInputCase& c, std::ostream* os) { *os << c.name; }

class ServeCliBadInput : public ::testing::TestWithParam<BadInputCase> {};

TEST_P(ServeCliBadInput, ExitsWithStatus2AndOneLineNamingTheProblem) {
    TempDir dir;
    fs::create_directories(dir / "cache");
    write_file(dir / "a_file", "not a directory");
    const auto& c = GetParam();
    auto expand = [&](const std::string& s) {
        return replace_all(replace_all(s, "{cache}", (dir / "cache").string()), "{dir}", dir.path().string());
    };
    if (!c.config_json.empty()) write_file(dir / "config.json", expand(c.config_json));
    std::vector<std::string> args;
    for (auto& a : c.args) args.push_back(expand(a));

    auto r = run_cache_tier(args, 10s);
    ASSERT_NE(r.status, -1) << "the server started instead of refusing (" << c.name << ")";
    EXPECT_EQ(r.status, 2) << "stderr: " << r.err;
    expect_one_line(r.err, c.name);
    for (auto& needle : c.needles) EXPECT_NE(r.err.find(expand(needle)), std::string::npos) << "stderr: " << r.err << "does not name " << expand(needle);
}

const std::string kListen = "127.0.0.1:1";  // never reached: each case fails before listening

INSTANTIATE_TEST_SUITE_P(
    Cases, ServeCliBadInput,
    ::testing::Values(
        BadInputCase{"unknown_flag", "", {"serve", "--cache-dir", "{cache}", "--bogus", "1"}, {"--bogus"}},
        BadInputCase{"unknown_subcommand", "", {"servee"}, {"servee"}},
        BadInputCase{"threads_not_a_number", "", {"serve", "--cache-dir", "{cache}", "--threads", "many"}, {"--threads"}},
        BadInputCase{"missing_cache_dir", "", {"serve", "--listen", kListen, "--cache-dir", "{dir}/nope"}, {"{dir}/nope"}},
        BadInputCase{"cache_dir_is_a_file", "", {"serve", "--listen", kListen, "--cache-dir", "{dir}/a_file"}, {"{dir}/a_file"}},
        BadInputCase{"no_cache_dir_at_all", "", {"serve", "--listen", kListen}, {"cache"}},
        BadInputCase{"cache_size_with_an_unknown_unit", "", {"serve", "--listen", kListen, "--cache-dir", "{cache}", "--max-cache-size", "10X"},
                     {"--max-cache-size", "unknown unit 'X'"}},
        BadInputCase{"negative_file_size", "", {"serve", "--listen", kListen, "--cache-dir", "{cache}", "--max-file-size", "-1"},
                     {"--max-file-size", "cannot be negative"}},
        BadInputCase{"min_free_of_all_the_disk", "", {"serve", "--listen", kListen, "--cache-dir", "{cache}", "--min-free", "100%"},
                     {"--min-free", "below 100%"}},
        BadInputCase{"cache_size_in_the_file", R"({"cache_dir": "{cache}", "max_cache_size": "1.5"})",
                     {"serve", "--listen", kListen, "--config", "{dir}/config.json"},
                     {"key 'max_cache_size'", "a fraction of a byte needs a unit"}},
        BadInputCase{"listen_without_port", "", {"serve", "--cache-dir", "{cache}", "--listen", "127.0.0.1"}, {"--listen"}},
        BadInputCase{"listen_port_too_big", "", {"serve", "--cache-dir", "{cache}", "--listen", "127.0.0.1:99999"},
                     {"--listen", "99999"}},
        BadInputCase{"listen_port_not_a_number", "", {"serve", "--cache-dir", "{cache}", "--listen", "127.0.0.1:http"},
                     {"--listen"}},
        BadInputCase{"config_missing", "", {"serve", "--config", "{dir}/none.json"}, {"{dir}/none.json"}},
        BadInputCase{"config_not_json", "{ \"listen\": ", {"serve", "--config", "{dir}/config.json"}, {"config.json"}},
        BadInputCase{"config_unknown_key", R"({"cache_dir": "{cache}", "colour": "blue"})",
                     {"serve", "--config", "{dir}/config.json"}, {"config.json", "colour"}},
        BadInputCase{"config_bad_value", R"({"cache_dir": "{cache}", "threads": "many"})",
                     {"serve", "--config", "{dir}/config.json"}, {"config.json", "threads"}},
        BadInputCase{"config_number_overflow", R"({"cache_dir": "{cache}", "threads": 1e999})",
                     {"serve", "--config", "{dir}/config.json"}, {"config.json", "1e999"}},
        BadInputCase{"config_negative_number", R"({"cache_dir": "{cache}", "max_connections": -1})",
                     {"serve", "--config", "{dir}/config.json"}, {"config.json", "max_connections"}},
        BadInputCase{"config_bad_listen", R"({"cache_dir": "{cache}", "listen": "nowhere"})",
                     {"serve", "--config", "{dir}/config.json"}, {"config.json", "listen"}},
        BadInputCase{"config_cache_folder_missing", R"({"cache_folder": "missing", "listen": "127.0.0.1:1"})",
                     {"serve", "--config", "{dir}/config.json"}, {"{dir}/missing"}},
        BadInputCase{"bad_static_prefix", "", {"serve", "--listen", kListen, "--cache-dir", "{cache}", "--static-prefix", "nope"},
                     {"static_prefix"}},
        BadInputCase{"bad_origin", "", {"serve", "--listen", kListen, "--cache-dir", "{cache}", "--origin", "not a url"},
                     {"origin"}}),
    [](const auto& info) { return info.param.name; });

TEST(ServeCli, UnwritableCacheDirectoryIsRefused) {
    TempDir dir;
    fs::permissions(dir.path(), fs::perms(0755));
    fs::create_directories(dir / "cache");
    fs::permissions(dir / "cache", fs::perms(0555));
    // root writes anywhere: run the server as nobody to make the folder unwritable.
    std::vector<std::string> wrapper;
    if (::geteuid() == 0) {
        if (run_command({"setpriv", "--version"}) != 0) GTEST_SKIP() << "setpriv is needed to drop root";
        wrapper = {"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"};
    }
    auto r = run_cache_tier({"serve", "--listen", "127.0.0.1:1", "--cache-dir", (dir / "cache").string()}, 10s, wrapper);
    fs::permissions(dir / "cache", fs::perms(0755));
    ASSERT_NE(r.status, 127) << "could not run the binary as nobody: " << r.err;
    EXPECT_EQ(r.status, 2) << r.err;
    expect_one_line(r.err, "unwritable cache dir");
    EXPECT_NE(r.err.find((dir / "cache").string()), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("writable"), std::string::npos) << r.err;
}

TEST(ServeCli, ListenAddressInUseIsReportedOnOneLine) {
    TempDir dir;
    CacheTierServer first(dir.path());
    auto r = run_cache_tier({"serve", "--listen", "127.0.0.1:" + std::to_string(first.port()), "--cache-dir",
                             dir.path().string()});
    ASSERT_NE(r.status, -1) << "a second server started on a port in use";
    EXPECT_NE(r.status, 0);
    // A startup log line may precede the error; the error itself is one line naming the port.
    auto lines = split_lines(r.err);
    ASSERT_FALSE(lines.empty());
    EXPECT_NE(lines.back().find(std::to_string(first.port())), std::string::npos) << r.err;
}

// ---- Config file ------------------------------------------------------------

TEST(ServeCli, OriginalConfigKeysAreAcceptedAndCacheFolderIsRelativeToTheConfig) {
    TempDir dir;
    const int port = free_port();
    write_file(dir / "conf/data/hello.mp3", "hello from data");
    write_file(dir / "conf/config.json", R"({"download_base_url": "http://127.0.0.1:9/files/", "cache_folder": "data",
                                             "listen": "127.0.0.1:)" + std::to_string(port) + "\"}");
    // The server runs in this test's working directory, not the config's folder.
    ASSERT_NE(fs::current_path(), dir / "conf");
    CacheTierProcess server({"serve", "--config", (dir / "conf/config.json").string()});
    ASSERT_TRUE(server.wait_listening(port)) << server.process().stderr_text();
    auto r = http_get(port, static_url("hello.mp3"));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, "hello from data");
}

TEST(ServeCli, FlagsOverrideTheConfigFile) {
    TempDir dir;
    const int file_port = free_port();
    int flag_port = free_port();
    while (flag_port == file_port) flag_port = free_port();
    write_file(dir / "from_file/x.mp3", "file's folder");
    write_file(dir / "from_flag/x.mp3", "flag's folder");
    write_file(dir / "config.json", R"({"cache_folder": "from_file", "cache_control": "max-age=1", "listen": "127.0.0.1:)" +
                                        std::to_string(file_port) + "\"}");
    CacheTierProcess server({"serve", "--config", (dir / "config.json").string(), "--listen",
                             "127.0.0.1:" + std::to_string(flag_port), "--cache-dir", (dir / "from_flag").string(),
                             "--cache-control", "no-store"});
    ASSERT_TRUE(server.wait_listening(flag_port)) << server.process().stderr_text();
    auto r = http_get(flag_port, static_url("x.mp3"));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->body, "flag's folder");
    EXPECT_EQ(r->header("Cache-Control"), "no-store");
    EXPECT_FALSE(wait_for_port(file_port, 200ms)) << "the config file's listen address was used too";
}

// ---- Signals ----------------------------------------------------------------

class ServeCliSignal : public ::testing::TestWithParam<int> {};

TEST_P(ServeCliSignal, LargeDownloadInFlightCompletesThenExitZero) {
    TempDir cache;
    const std::string big = random_bytes(100 << 20, 5);
    write_file(cache / "big.bin", big);
    CacheTierServer server(cache.path());

    Connection c(server.port());
    ASSERT_TRUE(c.send(make_request("GET", static_url("big.bin"))));
    std::string received;
    ASSERT_TRUE(recv_until(c.fd(), "\r\n\r\n", received, 5s));
    const std::size_t head_size = received.find("\r\n\r\n") + 4;
    ASSERT_EQ(received.substr(0, 12), "HTTP/1.1 200");
    std::string body = received.substr(head_size);
    // Take 1 MB, so the response is truly in flight, then signal.
    recv_bytes(c.fd(), (1 << 20) - body.size(), &body, 5s);
    ASSERT_EQ(::kill(server.process().pid(), GetParam()), 0);
    std::this_thread::sleep_for(300ms);
    recv_bytes(c.fd(), big.size() - body.size(), &body, 30s);
    EXPECT_EQ(body.size(), big.size()) << "the response in flight was cut short by signal " << GetParam();
    EXPECT_TRUE(body == big.substr(0, body.size())) << "bytes differ";
    auto status = server.process().wait(10s);
    ASSERT_TRUE(status) << "still running 10 s after the response finished";
    EXPECT_EQ(*status, 0) << server.process().stderr_text();
}

TEST_P(ServeCliSignal, IdleKeepAliveConnectionDoesNotDelayTheExit) {
    TempDir cache;
    write_file(cache / "a.txt", "a");
    CacheTierServer server(cache.path());
    Connection idle(server.port());
    ASSERT_TRUE(idle.send(make_request("GET", static_url("a.txt"))));
    ASSERT_TRUE(idle.read_response());
    auto status = server.process().stop(GetParam(), 5s);
    ASSERT_TRUE(status) << "an idle keep-alive connection kept the server from exiting";
    EXPECT_EQ(*status, 0);
    EXPECT_TRUE(idle.wait_closed(1s));
}

INSTANTIATE_TEST_SUITE_P(Signals, ServeCliSignal, ::testing::Values(SIGTERM, SIGINT),
                         [](const auto& info) { return info.param == SIGTERM ? "SIGTERM" : "SIGINT"; });

// ---- Access log -------------------------------------------------------------

// nginx's combined format:
// $remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent"
const std::regex kCombined(
    R"re(^(\S+) - (\S+) \[(\d\d/(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)/\d{4}:\d\d:\d\d:\d\d [+-]\d{4})\] "([^"]*)" (\d{3}) (\d+) "([^"]*)" "([^"]*)"$)re");

struct LogLine {
    std::string addr, user, request, status, bytes, referer, agent;
};

std::optional<LogLine> parse_log_line(const std::string& line) {
    std::smatch m;
    if (!std::regex_match(line, m, kCombined)) return std::nullopt;
    return LogLine{m[1], m[2], m[5], m[6], m[7], m[8], m[9]};
}

// Wait until the log at `path` has `n` lines.
std::vector<std::string> wait_for_lines(const fs::path& path, std::size_t n) {
    std::vector<std::string> lines;
    eventually([&] { return (lines = split_lines(read_file(path))).size() >= n; }, 3s);
    return lines;
}

TEST(ServeCli, AccessLogLinesAreInNginxCombinedFormat) {
    TempDir cache, logs;
    write_file(cache / "ep.mp3", random_bytes(10000, 3));
    const fs::path log = logs / "access.log";
    CacheTierServer server(cache.path(), {"--access-log", log.string()});
    const int p = server.port();
    // Each request has its own query string: server threads may log in any order.
    ASSERT_TRUE(http_get(p, static_url("ep.mp3?n=1"), {"Referer: http://example.com/page", "User-Agent: agent/1.0"}));
    ASSERT_TRUE(http_request(p, "HEAD", static_url("ep.mp3?n=2")));
    ASSERT_TRUE(http_get(p, static_url("ep.mp3?n=3"), {"Range: bytes=0-99"}));
    ASSERT_TRUE(http_get(p, static_url("missing.mp3?n=4")));
    ASSERT_TRUE(http_get(p, static_url("ep.mp3?n=5"), {"User-Agent: say \"hi\"\\ now"}));

    auto lines = wait_for_lines(log, 5);
    ASSERT_EQ(lines.size(), 5u) << read_file(log);
    std::map<std::string, LogLine> by_query;
    for (auto& l : lines) {
        auto parsed = parse_log_line(l);
        ASSERT_TRUE(parsed) << "not in combined format: " << l;
        auto q = parsed->request.find("?n=");
        ASSERT_NE(q, std::string::npos) << l;
        by_query[parsed->request.substr(q + 3, 1)] = *parsed;
    }
    ASSERT_EQ(by_query.size(), 5u);
    const LogLine& get = by_query["1"];
    EXPECT_EQ(get.addr, "127.0.0.1");
    EXPECT_EQ(get.user, "-");
    EXPECT_EQ(get.request, "GET /static/files_cache/ep.mp3?n=1 HTTP/1.1");
    EXPECT_EQ(get.status, "200");
    EXPECT_EQ(get.bytes, "10000");
    EXPECT_EQ(get.referer, "http://example.com/page");
    EXPECT_EQ(get.agent, "agent/1.0");
    EXPECT_EQ(by_query["2"].request, "HEAD /static/files_cache/ep.mp3?n=2 HTTP/1.1");
    EXPECT_EQ(by_query["2"].bytes, "0");
    EXPECT_EQ(by_query["2"].referer, "-");
    EXPECT_EQ(by_query["2"].agent, "-");
    EXPECT_EQ(by_query["3"].status, "206");
    EXPECT_EQ(by_query["3"].bytes, "100");
    EXPECT_EQ(by_query["4"].status, "404");
    // nginx writes '"' and '\' as \x22 and \x5C, so the field stays one quoted string.
    EXPECT_EQ(by_query["5"].agent, "say \\x22hi\\x22\\x5C now");
}

TEST(ServeCli, AccessLogCanGoToStdoutAndIsOffByDefault) {
    TempDir cache;
    write_file(cache / "a.txt", "a");
    {
        CacheTierServer server(cache.path(), {"--access-log", "-"});
        ASSERT_TRUE(http_get(server.port(), static_url("a.txt")));
        EXPECT_TRUE(eventually([&] { return server.process().stdout_text().find("\"GET /static/files_cache/a.txt HTTP/1.1\" 200 1") != std::string::npos; }, 3s))
            << "stdout: " << server.process().stdout_text();
    }
    CacheTierServer quiet(cache.path());
    ASSERT_TRUE(http_get(quiet.port(), static_url("a.txt")));
    ASSERT_TRUE(quiet.process().stop(SIGTERM));
    EXPECT_EQ(quiet.process().stdout_text().find("GET /"), std::string::npos) << "an access log without --access-log";
    EXPECT_EQ(quiet.process().stderr_text().find("GET /static"), std::string::npos) << "an access log without --access-log";
}

TEST(ServeCli, SighupReopensTheAccessLog) {
    TempDir cache, logs;
    write_file(cache / "a.txt", "a");
    const fs::path log = logs / "access.log";
    CacheTierServer server(cache.path(), {"--access-log", log.string()});
    const int p = server.port();
    ASSERT_TRUE(http_get(p, "/static/files_cache/a.txt?before"));
    ASSERT_EQ(wait_for_lines(log, 1).size(), 1u);

    // What logrotate does: rename, then HUP.
    fs::rename(log, logs / "access.log.1");
    ASSERT_TRUE(http_get(p, "/static/files_cache/a.txt?renamed"));
    // Until the HUP, lines still go to the renamed file.
    ASSERT_EQ(wait_for_lines(logs / "access.log.1", 2).size(), 2u) << "a line was lost around the rename";
    ASSERT_EQ(::kill(server.process().pid(), SIGHUP), 0);
    EXPECT_TRUE(eventually([&] { return fs::exists(log); }, 3s)) << "no new log file after SIGHUP";
    // The new file exists a moment before the server writes to it: its own
    // line says when the switch is done (a request in that moment is logged
    // to the old file, which loses nothing).
    EXPECT_TRUE(eventually([&] { return server.process().stderr_text().find("access log reopened") != std::string::npos; },
                           5s))
        << "the server did not say it reopened the log";
    ASSERT_TRUE(http_get(p, "/static/files_cache/a.txt?after"));
    auto fresh = wait_for_lines(log, 1);
    ASSERT_FALSE(fresh.empty());
    EXPECT_NE(fresh.back().find("?after"), std::string::npos);
    const std::string old = read_file(logs / "access.log.1");
    EXPECT_NE(old.find("?before"), std::string::npos);
    EXPECT_NE(old.find("?renamed"), std::string::npos);
    EXPECT_EQ(old.find("?after"), std::string::npos);
    EXPECT_TRUE(server.process().running()) << "SIGHUP stopped the server";
}

}  // namespace
}  // namespace ct_test
