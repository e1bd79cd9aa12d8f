// Evicted, purged or replaced files free their disk space, against the real
// binary: the per-thread open-file cache lets go of a deleted file's
// descriptor within a tick or two even if its name is never asked for again
// (else --max-cache-size would not hold on disk), but never cuts off a
// response still sending it.
#include <gtest/gtest.h>

#include <thread>

#include "fill_support.hpp"

namespace fill_it {
namespace {

using ct_test::CacheTierServer;
using ct_test::TempDir;

// Descriptors `pid` holds on files that no longer have a name: their blocks
// stay allocated until the last one is closed.
int deleted_files_held(pid_t pid) {
    int n = 0;
    std::error_code ec;
    for (fs::directory_iterator it("/proc/" + std::to_string(pid) + "/fd", ec), end; !ec && it != end;
         it.increment(ec)) {
        std::error_code link_ec;
        if (fs::read_symlink(it->path(), link_ec).string().ends_with(" (deleted)")) ++n;
    }
    return n;
}

// A sweep runs once a second; allow for two and a slow machine.
constexpr auto kLetGo = 3s;

int static_status(int port, const std::string& name) {
    auto response = ct_test::http_get(port, ct_test::static_url(name));
    return response ? response->status : -1;
}

TEST(ServeDescriptors, EvictedFilesAreLetGoSoTheCacheSizeHoldsOnDisk) {
    TempDir origin, cache;
    std::vector<std::string> names;
    for (char c = 'a'; c < 'i'; ++c) {
        names.push_back(std::string(1, c) + ".bin");
        ct_test::write_file(origin / names.back(), ct_test::random_bytes(100000, static_cast<unsigned>(c)));
    }
    // Two 100 kB files (with their records and folders) fit in 300 kB: filling eight evicts six.
    CacheTierServer server(cache.path(), {"--origin", "file://" + origin.path().string(), "--max-cache-size",
                                          "300000", "--threads", "2"});
    const int port = server.port();
    for (const auto& name : names) {
        ASSERT_TRUE(eventually_state(port, name, "cached")) << server_log(server);
        // Served on several connections, so each thread's open-file cache may hold it.
        for (int i = 0; i < 4; ++i) ASSERT_EQ(static_status(port, name), 200) << name;
    }
    int evicted = 0;
    for (const auto& name : names) evicted += !fs::exists(cache / name);
    ASSERT_GE(evicted, 5) << server_log(server);

    const pid_t pid = server.process().pid();
    EXPECT_TRUE(ct_test::eventually([&] { return deleted_files_held(pid) == 0; }, kLetGo))
        << deleted_files_held(pid) << " descriptors of deleted files still held " << kLetGo.count()
        << " s after the evictions";
    // What is still cached is still served.
    for (const auto& name : names)
        if (fs::exists(cache / name)) EXPECT_EQ(static_status(port, name), 200) << name;
}

TEST(ServeDescriptors, PurgedAndReplacedFilesAreLetGoButAResponseInFlightKeepsItsFile) {
    TempDir cache;
    // Larger than what the socket buffers of both ends hold, so its response stays in flight.
    const std::string big = ct_test::random_bytes(32 << 20, 5);
    ct_test::write_file(cache / "big.bin", big);
    ct_test::write_file(cache / "purged.txt", "purged");
    ct_test::write_file(cache / "replaced.txt", "old");
    CacheTierServer server(cache.path(), {"--threads", "2"});
    const int port = server.port();
    const pid_t pid = server.process().pid();
    for (int i = 0; i < 4; ++i) {
        ASSERT_EQ(static_status(port, "purged.txt"), 200);
        ASSERT_EQ(static_status(port, "replaced.txt"), 200);
    }

    ct_test::Connection download(port);
    ASSERT_TRUE(download.send(ct_test::make_request("GET", ct_test::static_url("big.bin"))));
    std::string received;
    ASSERT_TRUE(ct_test::recv_until(download.fd(), "\r\n\r\n", received, 2s));
    const std::size_t body_start = received.find("\r\n\r\n") + 4;
    ASSERT_NE(received.find(" 200 "), std::string::npos) << received.substr(0, 200);

    // Purged by hand, replaced the way a fill replaces a file (write aside, rename).
    fs::remove(cache / "big.bin");
    fs::remove(cache / "purged.txt");
    ct_test::write_file(cache / "replaced.tmp", "new");
    fs::rename(cache / "replaced.tmp", cache / "replaced.txt");

    // Only the download's file stays open.
    EXPECT_TRUE(ct_test::eventually([&] { return deleted_files_held(pid) == 1; }, kLetGo))
        << deleted_files_held(pid) << " descriptors of deleted files held; only the download's should be";
    std::this_thread::sleep_for(1500ms);  // more sweeps pass while the download waits
    ct_test::recv_bytes(download.fd(), body_start + big.size() - received.size(), &received, 20s);
    ASSERT_EQ(received.size() - body_start, big.size()) << "the download was cut off";
    EXPECT_TRUE(received.compare(body_start, big.size(), big) == 0) << "the download's bytes changed";
    EXPECT_TRUE(ct_test::eventually([&] { return deleted_files_held(pid) == 0; }, kLetGo))
        << "the download's file is still held after its response";
    EXPECT_EQ(static_status(port, "big.bin"), 404);
    auto replaced = ct_test::http_get(port, ct_test::static_url("replaced.txt"));
    ASSERT_TRUE(replaced);
    EXPECT_EQ(replaced->body, "new");
}

}  // namespace
}  // namespace fill_it
