// The origin failing under the real binary (issue 12): down, slow, lying
// about its length either way, resetting mid-body, answering 200 with an HTML
// error page. Nothing wrong is ever cached, /verify says what happened, and
// users go to the origin meanwhile. Each case writes its row of
// docs/reliability.md. (fill_failures_test and fill_origin_answers_test hold
// the other answers that are not the file: 5xx, 206, encodings, framing.)
#include "fill_support.hpp"
#include "support/reliability_result.hpp"

namespace fill_it {
namespace {

using ct_test::CacheTierServer;
using ct_test::TempDir;

// Regular files of the cache directory outside cache-tier's own state.
std::vector<fs::path> cached_files(const fs::path& cache_dir) {
    std::vector<fs::path> found;
    for (auto it = fs::recursive_directory_iterator(cache_dir); it != fs::recursive_directory_iterator(); ++it) {
        if (it->path().filename() == ".cache-tier") it.disable_recursion_pending();
        else if (it->is_regular_file()) found.push_back(it->path());
    }
    return found;
}

struct OriginFault {
    std::string name;      // the case, and the behaviour of misbehaving_origin.py
    std::string path;      // what is asked for ("" : the origin is down)
    std::string expected;  // part of /verify's error_msg
};

void PrintTo(const OriginFault& c, std::ostream* os) { *os << c.name; }

class FaultOrigin : public ::testing::TestWithParam<OriginFault> {
protected:
    void SetUp() override { ct_test::write_file(origin_ / "episode.mp3", body_); }
    void TearDown() override {
        const auto& c = GetParam();
        ct_test::write_reliability_result({.case_name = "origin-" + c.name,
                                           .category = "fault",
                                           .measured = "wrong files cached; /verify error_msg",
                                           .value = static_cast<double>(wrong_cached_),
                                           .unit = "files",
                                           .target = "0, and error_msg says \"" + c.expected + "\"",
                                           .passed = !HasFailure(),
                                           .details = error_msg_});
    }

    TempDir origin_, cache_;
    const std::string body_ = ct_test::random_bytes(300000, 41);
    int wrong_cached_ = 0;
    std::string error_msg_;
};

TEST_P(FaultOrigin, NothingWrongIsCachedAndVerifySaysWhatHappened) {
    const auto& c = GetParam();
    std::unique_ptr<FakeOrigin> fake;
    std::string base = "http://127.0.0.1:" + std::to_string(ct_test::free_port());  // nothing listens
    if (!c.path.empty()) {
        fake = std::make_unique<FakeOrigin>("misbehaving_origin.py", origin_.path());
        base = fake->base_url();
    }
    const std::string name = c.path.empty() ? "episode.mp3" : c.path;
    CacheTierServer server(cache_.path(), {"--origin", base, "--stream-misses", "false"});

    // Meanwhile users go to the origin.
    auto download = ct_test::http_get(server.port(), "/download/" + name);
    ASSERT_TRUE(download);
    EXPECT_EQ(download->status, 302);
    EXPECT_EQ(download->header("Location"), base + "/" + name);

    ASSERT_TRUE(eventually_state(server.port(), name, "failed", 20s)) << server_log(server);
    auto json = verify(server.port(), name);
    EXPECT_EQ(json["available"], false);
    EXPECT_EQ(json["error"], true);
    error_msg_ = json["error_msg"].is_string() ? json["error_msg"].get<std::string>() : json.dump();
    EXPECT_NE(error_msg_.find(c.expected), std::string::npos) << error_msg_;
    wrong_cached_ = static_cast<int>(cached_files(cache_.path()).size());
    EXPECT_EQ(wrong_cached_, 0);
    EXPECT_TRUE(temp_files(cache_.path()).empty());
    auto served = ct_test::http_get(server.port(), "/static/files_cache/" + name);
    ASSERT_TRUE(served);
    EXPECT_EQ(served->status, 404);
    EXPECT_TRUE(server.process().running());
}

INSTANTIATE_TEST_SUITE_P(
    Faults, FaultOrigin,
    ::testing::Values(
        OriginFault{"down", "", "cannot connect to origin"},
        OriginFault{"announces-more-than-it-sends", "short/episode.mp3", "closed the connection"},
        OriginFault{"announces-less-than-it-sends", "longer/episode.mp3", "more bytes than its Content-Length"},
        OriginFault{"reset-mid-body", "reset/episode.mp3", "reset"},
        OriginFault{"slow-then-reset", "slowreset/episode.mp3", "reset"},
        OriginFault{"html-error-page", "htmlerror/episode.mp3",
                    "Content-Type: text/html; charset=utf-8 for a .mp3 file (audio/mpeg)"}),
    [](const auto& info) {
        std::string name = info.param.name;
        for (char& ch : name)
            if (ch == '-') ch = '_';
        return name;
    });

// A slow origin is no failure: users go to it meanwhile, and the copy, once
// whole, is its bytes exactly.
TEST(FaultOriginSlow, ASlowOriginIsCachedWholeWhileUsersGoToIt) {
    TempDir origin, cache;
    const std::string body = ct_test::random_bytes(300000, 42);
    ct_test::write_file(origin / "episode.mp3", body);
    FakeOrigin fake("misbehaving_origin.py", origin.path());
    // 300 KB in 64 KB pieces 0.5 s apart: about two and a half seconds.
    CacheTierServer server(cache.path(), {"--origin", fake.base_url() + "/slow", "--stream-misses", "false"});
    auto download = ct_test::http_get(server.port(), "/download/episode.mp3");
    ASSERT_TRUE(download);
    EXPECT_EQ(download->header("Location"), fake.base_url() + "/slow/episode.mp3");
    EXPECT_EQ(verify(server.port(), "episode.mp3")["available"], false);
    ASSERT_TRUE(eventually_state(server.port(), "episode.mp3", "cached", 60s)) << server_log(server);
    const bool whole = ct_test::read_file(cache / "episode.mp3") == body;
    EXPECT_TRUE(whole);
    ct_test::write_reliability_result({.case_name = "origin-slow",
                                       .category = "fault",
                                       .measured = "copy equal to the origin's file after a slow fill",
                                       .value = whole ? 1.0 : 0.0,
                                       .unit = "of 1",
                                       .target = "1; users redirected to the origin meanwhile",
                                       .passed = !::testing::Test::HasFailure(),
                                       .details = "300 KB at 64 KB every 0.5 s"});
}

}  // namespace
}  // namespace fill_it
