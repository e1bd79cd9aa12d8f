// kill -9 under load, then restart, five times over (issue 12): whenever the
// process dies, every file in the cache is either whole (the origin's bytes)
// or absent, the temporary files the dead process left are removed at the next
// start, and the fills it cut short complete after it.
//
// The origin is Debian's nginx with limit_rate, so fills of a few MB take long
// enough that each kill, at a random moment, lands while some are running.
#include <atomic>
#include <random>
#include <thread>

#include "support/reliability_result.hpp"
#include "fill_support.hpp"

namespace fill_it {
namespace {

using ct_test::CacheTierServer;
using ct_test::Nginx;
using ct_test::TempDir;

constexpr int kRounds = 5;
constexpr int kFiles = 12;
// 384 KiB to 2.25 MiB: some fills end within a round, some are cut short.
std::size_t file_bytes(int i) { return static_cast<std::size_t>(i % 6 + 1) * (384 << 10); }

std::string file_name(int i) { return "show/episode-" + std::to_string(i) + ".mp3"; }

// Regular files of the cache directory outside cache-tier's own state, by name relative to it.
std::vector<std::string> cached_names(const fs::path& cache_dir) {
    std::vector<std::string> found;
    for (auto it = fs::recursive_directory_iterator(cache_dir); it != fs::recursive_directory_iterator(); ++it) {
        if (it->path().filename() == ".cache-tier") it.disable_recursion_pending();
        else if (it->is_regular_file()) found.push_back(fs::relative(it->path(), cache_dir).string());
    }
    return found;
}

// Clients asking for every file, streaming what is there, until told to stop
// (or the server is gone: a refused connection answers at once).
class Load {
public:
    explicit Load(int port) {
        for (int t = 0; t < 4; ++t)
            threads_.emplace_back([this, port, t] {
                for (int i = t; !stop_; i = (i + 1) % kFiles) {
                    try {
                        ct_test::http_get(port, "/verify/" + file_name(i));
                        ct_test::http_get(port, "/download/" + file_name(i));
                        ct_test::http_get(port, "/static/files_cache/" + file_name(i));
                    } catch (const std::exception&) {
                        std::this_thread::sleep_for(10ms);  // killed: connections are refused until the end
                    }
                }
            });
    }
    ~Load() {
        stop_ = true;
        for (auto& t : threads_) t.join();
    }

private:
    std::atomic<bool> stop_{false};
    std::vector<std::thread> threads_;
};

TEST(FaultKill9, UnderLoadEveryCachedFileIsWholeOrAbsentAfterEachKill) {
    TempDir origin, cache;
    std::vector<std::string> bodies;
    for (int i = 0; i < kFiles; ++i) {
        bodies.push_back(ct_test::random_bytes(file_bytes(i), 100 + i));
        ct_test::write_file(origin / file_name(i), bodies.back());
    }
    // 1 MB/s per connection, without sendfile (which would hand the whole
    // file to the socket's buffer at once): a fill takes 0.4 to 2.4 seconds.
    Nginx nginx(world_readable(origin.path()), "sendfile off; limit_rate 1m;");
    const unsigned seed = std::random_device{}();
    std::mt19937 rng(seed);
    std::uniform_int_distribution<int> kill_after_ms(300, 2500);

    int wrong = 0, checked = 0, interrupted = 0, left_at_start = 0;
    for (int round = 1; round <= kRounds; ++round) {
        SCOPED_TRACE("round " + std::to_string(round) + ", seed " + std::to_string(seed));
        CacheTierServer server(cache.path(), {"--origin", nginx.base_url(), "--fill-workers", "4"});
        // The dead process's unfinished fills are gone before anything is served.
        left_at_start += static_cast<int>(temp_files(cache.path()).size());
        {
            Load load(server.port());
            std::this_thread::sleep_for(std::chrono::milliseconds(kill_after_ms(rng)));
            server.process().kill9();
        }
        interrupted += static_cast<int>(temp_files(cache.path()).size());
        for (const auto& name : cached_names(cache.path())) {
            ++checked;
            const int i = std::stoi(name.substr(name.rfind('-') + 1));
            if (ct_test::read_file(cache / name) != bodies[static_cast<std::size_t>(i)]) {
                ++wrong;
                ADD_FAILURE() << name << " is in the cache but is not the origin's file";
            }
        }
    }
    EXPECT_EQ(left_at_start, 0) << "temporary files of a killed process survived a restart";
    EXPECT_GT(interrupted, 0) << "no kill landed during a fill: the test proved nothing";
    EXPECT_GT(checked, 0) << "no fill ended before a kill: no copy was checked";

    // After the last kill: a clean start completes every fill, each whole.
    CacheTierServer server(cache.path(), {"--origin", nginx.base_url(), "--fill-workers", "4"});
    EXPECT_TRUE(temp_files(cache.path()).empty());
    int whole = 0;
    for (int i = 0; i < kFiles; ++i) {
        ASSERT_TRUE(eventually_state(server.port(), file_name(i), "cached", 60s)) << server_log(server);
        whole += ct_test::read_file(cache / file_name(i)) == bodies[static_cast<std::size_t>(i)];
    }
    EXPECT_EQ(whole, kFiles);

    ct_test::write_reliability_result({.case_name = "kill9-under-load",
                   .category = "fault",
                   .measured = "files in the cache not the origin's bytes after kill -9",
                   .value = wrong,
                   .unit = "of " + std::to_string(checked) + " checked in " + std::to_string(kRounds) + " rounds",
                   .target = "0",
                   .passed = !::testing::Test::HasFailure(),
                   .details = std::to_string(interrupted) + " fills cut short, " + std::to_string(left_at_start) +
                              " temporary files left after restart, " + std::to_string(whole) + "/" +
                              std::to_string(kFiles) + " whole after a clean start; " + std::to_string(kFiles) +
                              " files of 0.4-2.3 MiB from nginx at 1 MB/s, 4 clients, kill at 300-2500 ms, seed " +
                              std::to_string(seed)});
}

}  // namespace
}  // namespace fill_it
