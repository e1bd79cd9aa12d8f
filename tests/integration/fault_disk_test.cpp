// The cache's disk failing under the running binary (issue 12): full during a
// fill, made read-only, removed. Fills fail cleanly with a clear error_msg,
// nothing partial is ever visible, what is cached goes on being served, the
// server never dies, and fills resume once the disk is usable again.
//
// A full or read-only disk is a small tmpfs mounted in a mount namespace of
// this test process alone (unshare(CLONE_NEWNS), as root), so nothing of the
// machine's is touched and the mount goes with the process. Where mounting is
// not permitted the tests skip, saying why.
#include <sched.h>
#include <sys/mount.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "fill_support.hpp"
#include "support/reliability_result.hpp"

namespace fill_it {
namespace {

using ct_test::CacheTierServer;
using ct_test::TempDir;

// Regular files of the cache directory outside cache-tier's own state.
std::vector<fs::path> cached_files(const fs::path& cache_dir) {
    std::vector<fs::path> found;
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(cache_dir, ec); !ec && it != fs::recursive_directory_iterator();
         it.increment(ec)) {
        if (it->path().filename() == ".cache-tier") it.disable_recursion_pending();
        else if (it->is_regular_file()) found.push_back(it->path());
    }
    return found;
}

// A tmpfs of `size` at `dir`, in a mount namespace private to this process;
// an empty string when it is mounted, else why not.
std::string mount_private_tmpfs(const fs::path& dir, const std::string& size) {
    if (::unshare(CLONE_NEWNS) != 0) return std::string("unshare(CLONE_NEWNS): ") + std::strerror(errno);
    // Mounts made from here on stay in this namespace.
    if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
        return std::string("making / private: ") + std::strerror(errno);
    const std::string options = "size=" + size + ",mode=0755";
    if (::mount("tmpfs", dir.c_str(), "tmpfs", 0, options.c_str()) != 0)
        return std::string("mount -t tmpfs: ") + std::strerror(errno);
    return "";
}

bool remount(const fs::path& dir, bool read_only) {
    return ::mount(nullptr, dir.c_str(), nullptr, MS_REMOUNT | (read_only ? MS_RDONLY : 0), nullptr) == 0;
}

// The server and a fake origin (serving files as they are) over a cache on a
// 2 MiB tmpfs: <mnt>/cache, with room beside it for a file that takes space.
class FaultDisk : public ::testing::Test {
protected:
    void SetUp() override {
        if (std::string why = mount_private_tmpfs(mnt_.path(), "2m"); !why.empty())
            GTEST_SKIP() << "cannot mount a tmpfs to fill up (needs root and mount namespaces): " << why;
        mounted_ = true;
        fs::create_directories(cache_dir());
        ct_test::write_file(origin_ / "small.mp3", small_);
        ct_test::write_file(origin_ / "mid.mp3", mid_);
        ct_test::write_file(origin_ / "big.mp3", ct_test::random_bytes(4 << 20, 33));
        ct_test::write_file(config_ / "config.json", R"({"retry_min": 1, "retry_max": 1})");
        fake_ = std::make_unique<FakeOrigin>("misbehaving_origin.py", origin_.path());
    }
    void TearDown() override {
        if (!row_.case_name.empty()) {
            row_.category = "fault";
            row_.passed = !HasFailure();
            ct_test::write_reliability_result(row_);
        }
        if (server_) {
            EXPECT_TRUE(server_->process().running()) << "server died\n" << server_log(*server_);
            server_.reset();
        }
        if (mounted_) ::umount2(mnt_.path().c_str(), MNT_DETACH);
    }
    void start() {
        server_ = std::make_unique<CacheTierServer>(
            cache_dir(), std::vector<std::string>{"--origin", fake_->base_url(), "--config",
                                                  (config_ / "config.json").string()});
    }
    fs::path cache_dir() const { return mnt_.path() / "cache"; }
    int port() const { return server_->port(); }

    // Until /readyz answers `status` (it checks the disk at most every 5 s).
    bool eventually_ready(int status) {
        return ct_test::eventually(
            [&] {
                auto r = ct_test::http_get(port(), "/readyz");
                return r && r->status == status;
            },
            20s, 200ms);
    }
    // The cached copy of `name` is served whole.
    void expect_served(const std::string& name, const std::string& body) {
        auto r = ct_test::http_get(port(), "/static/files_cache/" + name);
        ASSERT_TRUE(r) << name;
        EXPECT_EQ(r->status, 200) << name;
        EXPECT_TRUE(r->body == body) << name << " served differs from the origin's";
    }
    // A failed fill: its message, and nothing of it visible or left behind.
    std::string expect_failed_cleanly(const std::string& name) {
        EXPECT_TRUE(eventually_state(port(), name, "failed", 20s)) << name << "\n" << server_log(*server_);
        auto json = verify(port(), name);
        EXPECT_EQ(json["available"], false);
        EXPECT_EQ(json["error"], true);
        EXPECT_FALSE(fs::exists(cache_dir() / name)) << "a partial " << name << " is visible";
        auto served = ct_test::http_get(port(), "/static/files_cache/" + name);
        EXPECT_TRUE(served && served->status == 404) << name;
        EXPECT_TRUE(ct_test::eventually([&] { return temp_files(cache_dir()).empty(); }, 5s))
            << "temporary file left behind";
        return json["error_msg"].is_string() ? json["error_msg"].get<std::string>() : json.dump();
    }

    TempDir mnt_, origin_, config_;
    bool mounted_ = false;
    const std::string small_ = ct_test::random_bytes(100 << 10, 31);
    const std::string mid_ = ct_test::random_bytes(1 << 20, 32);
    std::unique_ptr<FakeOrigin> fake_;
    std::unique_ptr<CacheTierServer> server_;
    ct_test::ReliabilityResult row_;  // this case's row of the report, once it ran
};

TEST_F(FaultDisk, AFillLargerThanTheFreeSpaceFailsCleanlyAndFillsResumeOnceThereIsRoom) {
    start();
    ASSERT_TRUE(eventually_state(port(), "small.mp3", "cached")) << server_log(*server_);

    // 4 MiB on a 2 MiB disk.
    const std::string message = expect_failed_cleanly("big.mp3");
    EXPECT_NE(message.find("No space left on device"), std::string::npos) << message;
    expect_served("small.mp3", small_);

    // 1 MiB while something else holds 1.5 MiB of the disk: the same, until it goes.
    ct_test::write_file(mnt_ / "ballast", std::string(1536 << 10, 'b'));
    const std::string mid_message = expect_failed_cleanly("mid.mp3");
    EXPECT_NE(mid_message.find("No space left on device"), std::string::npos) << mid_message;
    fs::remove(mnt_ / "ballast");
    ASSERT_TRUE(eventually_state(port(), "mid.mp3", "cached", 20s)) << server_log(*server_);
    expect_served("mid.mp3", mid_);
    expect_served("small.mp3", small_);
    EXPECT_TRUE(temp_files(cache_dir()).empty());
    row_ = {.case_name = "disk-full",
            .measured = "fills failed cleanly (no partial or temporary file), then resumed",
            .value = 2,
            .unit = "of 2",
            .target = "all; cached files served throughout",
            .details = "2 MiB tmpfs: a 4 MiB fill, then a 1 MiB one beside 1.5 MiB of ballast; \"" + mid_message + "\""};
}

TEST_F(FaultDisk, AReadOnlyCacheKeepsServingAndFillsResumeWhenItIsWritableAgain) {
    start();
    ASSERT_TRUE(eventually_state(port(), "small.mp3", "cached")) << server_log(*server_);
    ASSERT_TRUE(remount(mnt_.path(), true)) << std::strerror(errno);

    const std::string message = expect_failed_cleanly("mid.mp3");
    EXPECT_NE(message.find("Read-only file system"), std::string::npos) << message;
    // A load balancer asking /readyz takes the node out meanwhile.
    EXPECT_TRUE(eventually_ready(503));
    expect_served("small.mp3", small_);
    EXPECT_EQ(verify(port(), "small.mp3")["available"], true);
    auto download = ct_test::http_get(port(), "/download/small.mp3");
    ASSERT_TRUE(download);
    EXPECT_EQ(download->header("Location"), "/static/files_cache/small.mp3");

    ASSERT_TRUE(remount(mnt_.path(), false)) << std::strerror(errno);
    ASSERT_TRUE(eventually_state(port(), "mid.mp3", "cached", 20s)) << server_log(*server_);
    expect_served("mid.mp3", mid_);
    EXPECT_TRUE(eventually_ready(200));
    row_ = {.case_name = "disk-read-only",
            .measured = "cached file served while the disk was read-only; fill resumed after",
            .value = 1,
            .unit = "of 1",
            .target = "served, fill failed cleanly, /readyz 503, then cached",
            .details = "tmpfs remounted ro then rw; \"" + message + "\""};
}

// The whole cache directory removed under the server (an operator's mistake,
// a disk unmounted): fills fail saying so, nothing crashes, and once the
// directory is back (created again, or the disk mounted again) fills resume
// into it, as nginx serves a root recreated under the same path.
TEST_F(FaultDisk, ARemovedCacheDirectoryFailsFillsClearlyAndRecoversWhenItIsBack) {
    start();
    ASSERT_TRUE(eventually_state(port(), "small.mp3", "cached")) << server_log(*server_);
    fs::remove_all(cache_dir());

    const std::string message = expect_failed_cleanly("mid.mp3");
    EXPECT_NE(message.find("cache directory"), std::string::npos) << message;
    // A descriptor kept open may still serve the removed copy, whole (as
    // nginx's open_file_cache does); never a part of it.
    auto gone = ct_test::http_get(port(), "/static/files_cache/small.mp3");
    ASSERT_TRUE(gone);
    EXPECT_TRUE(gone->status == 404 || (gone->status == 200 && gone->body == small_)) << gone->status;
    EXPECT_TRUE(ct_test::server_answers(server_->process(), port()));
    EXPECT_TRUE(eventually_ready(503));

    fs::create_directories(cache_dir());
    ASSERT_TRUE(eventually_state(port(), "mid.mp3", "cached", 20s)) << server_log(*server_);
    expect_served("mid.mp3", mid_);
    EXPECT_TRUE(fs::exists(cache_dir() / "mid.mp3"));
    ASSERT_TRUE(eventually_state(port(), "small.mp3", "cached", 20s)) << server_log(*server_);
    expect_served("small.mp3", small_);
    EXPECT_TRUE(eventually_ready(200));
    row_ = {.case_name = "cache-dir-removed",
            .measured = "fills after the cache directory was removed and created again",
            .value = 2,
            .unit = "of 2 cached",
            .target = "clear error and /readyz 503 while gone, no crash, fills resume",
            .details = "rm -rf of the cache directory under the server; \"" + message + "\""};
}

}  // namespace
}  // namespace fill_it
