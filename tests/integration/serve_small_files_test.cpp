// Hot small files from memory (small_file_cache) against the real binary: the
// system calls of a keep-alive request (one recv, one send: header and body
// together, no sendfile, no read of the file), the bytes the access log and
// /metrics count, and a purge through the admin API. The rules a body from
// memory must keep (ranges, conditionals, HEAD, a file replaced or deleted at
// run time) are serve_files_test's, whose files are small enough to be served
// from memory; static_memory_test compares the two paths rule by rule.
#include <gtest/gtest.h>
#include <signal.h>

#include <cstdlib>
#include <fstream>
#include <regex>
#include <sstream>

#include "support/http_client.hpp"
#include "support/process.hpp"
#include "support/serve_helpers.hpp"

namespace ct_test {
namespace {

constexpr std::size_t kSmall = 4096;
constexpr std::size_t kLarge = 64 * 1024;  // over the per-file limit: sendfile

// One system call of the server, as `strace -f` printed it.
struct Syscall {
    std::string name;
    int fd = -1;
    bool carries_request = false;  // a recvfrom that returned a request's bytes
};

std::vector<Syscall> parse_strace(const std::string& text) {
    std::vector<Syscall> calls;
    // "1234 sendmsg(15, ..." (a call resumed later is listed where it started).
    static const std::regex line(R"(^\d+\s+(\w+)\((\d+),)");
    std::istringstream in(text);
    for (std::string l; std::getline(in, l);) {
        std::smatch m;
        if (!std::regex_search(l, m, line)) continue;
        calls.push_back({m[1], std::stoi(m[2]), m[1] == "recvfrom" && l.find("\"GET ") != std::string::npos});
    }
    return calls;
}

// The calls made for each request on descriptor `fd`, from the recvfrom that
// brought it to the next one that brought a request.
std::vector<std::vector<std::string>> per_request(const std::vector<Syscall>& calls, int fd) {
    std::vector<std::vector<std::string>> requests;
    for (const auto& c : calls) {
        if (c.carries_request && c.fd == fd) requests.emplace_back();
        if (requests.empty()) continue;
        // pread64 names the file's descriptor, not the socket's: every one counts.
        if (c.fd == fd || c.name == "pread64" || c.name == "sendfile") requests.back().push_back(c.name);
    }
    return requests;
}

std::size_t count(const std::vector<std::string>& calls, const std::string& name) {
    return static_cast<std::size_t>(std::count(calls.begin(), calls.end(), name));
}

// The server's own process under strace: strace's only child.
pid_t traced_child(pid_t tracer) {
    std::ifstream children("/proc/" + std::to_string(tracer) + "/task/" + std::to_string(tracer) + "/children");
    pid_t pid = -1;
    children >> pid;
    return pid;
}

TEST(ServeSmallFiles, AHotSmallFileIsOneRecvAndOneSendOnAKeepAliveConnection) {
    TempDir cache, logs;
    write_file(cache / "small.bin", random_bytes(kSmall, 7));
    write_file(cache / "large.bin", random_bytes(kLarge, 8));
    const auto trace = logs / "strace.txt";
    std::map<std::string, std::string> env;
    // LeakSanitizer stops the world with ptrace, which strace already holds.
    if (const char* asan = std::getenv("ASAN_OPTIONS")) env["ASAN_OPTIONS"] = std::string(asan) + ":detect_leaks=0";
    CacheTierServer server(cache.path(), {"--threads", "1"}, env,
                           {"strace", "-f", "-qq", "-o", trace.string(), "-e", "trace=recvfrom,sendmsg,sendfile,pread64"});
    int fd = -1;
    {
        Connection c(server.port());
        for (const std::string name : {"small.bin", "small.bin", "small.bin", "large.bin"}) {
            ASSERT_TRUE(c.send(make_request("GET", static_url(name)))) << name;
            auto r = c.read_response(false, 20s);
            ASSERT_TRUE(r) << name;
            ASSERT_EQ(r->status, 200) << name;
            EXPECT_EQ(r->body, read_file(cache / name)) << name;
        }
    }
    // strace has written every line once the server has exited.
    const pid_t serve = traced_child(server.process().pid());
    ASSERT_GT(serve, 0);
    ::kill(serve, SIGTERM);
    ASSERT_TRUE(server.process().wait(20s)) << "the server did not exit";

    const auto calls = parse_strace(read_file(trace));
    for (const auto& c : calls)
        if (c.carries_request) fd = c.fd;
    ASSERT_GE(fd, 0) << "no request seen in the trace:\n" << read_file(trace);
    const auto requests = per_request(calls, fd);
    ASSERT_EQ(requests.size(), 4u) << read_file(trace);
    // The first send reads the file into memory; the next ones are header and body in one sendmsg.
    EXPECT_EQ(count(requests[0], "sendfile"), 0u);
    for (int i : {1, 2}) {
        EXPECT_EQ(count(requests[i], "sendmsg"), 1u) << "request " << i + 1;
        EXPECT_EQ(count(requests[i], "sendfile"), 0u) << "request " << i + 1;
        EXPECT_EQ(count(requests[i], "pread64"), 0u) << "request " << i + 1 << ": the file was read again";
    }
    // A file over the limit still goes out with sendfile (and shows the trace would show one).
    EXPECT_GE(count(requests[3], "sendfile"), 1u);
}

// The access log and /metrics count the bytes a body from memory sent, as they do sendfile's.
TEST(ServeSmallFiles, TheAccessLogAndMetricsCountTheBytesFromMemory) {
    TempDir cache, logs;
    write_file(cache / "small.bin", random_bytes(kSmall, 9));
    const auto log = logs / "access.log";
    CacheTierServer server(cache.path(), {"--threads", "1", "--access-log", log.string()});
    Connection c(server.port());
    for (const auto& range : {std::string(), std::string("Range: bytes=100-199")}) {
        ASSERT_TRUE(c.send(make_request("GET", static_url("small.bin"), range.empty() ? std::vector<std::string>{}
                                                                                        : std::vector<std::string>{range})));
        ASSERT_TRUE(c.read_response(false, 20s));
    }
    EXPECT_TRUE(eventually(
        [&] {
            const auto text = read_file(log);
            return text.find("\" 200 4096 ") != std::string::npos && text.find("\" 206 100 ") != std::string::npos;
        },
        10s))
        << read_file(log);
    auto metrics = http_get(server.port(), "/metrics");
    ASSERT_TRUE(metrics);
    std::smatch m;
    ASSERT_TRUE(std::regex_search(metrics->body, m, std::regex(R"(\ncache_tier_bytes_served_total (\d+))")))
        << metrics->body;
    EXPECT_EQ(std::stoull(m[1]), 4096u + 100u);
}

}  // namespace
}  // namespace ct_test
