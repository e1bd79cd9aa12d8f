// The real binary against answers that look like success but are not the
// whole, unencoded file (tests/fakes/misbehaving_origin.py): a part (206, or a
// 200 with Content-Range), another 2xx, an encoded body, broken framing. Each
// fill fails with an error_msg naming the problem, and nothing is cached.
#include <gtest/gtest.h>

#include <thread>

#include <cctype>
#include <memory>
#include <ostream>

#include "fill_support.hpp"

namespace fill_it {
namespace {

using ct_test::CacheTierServer;
using ct_test::TempDir;

struct NotTheFile {
    std::string name;      // the first segments pick the fake's behaviour
    std::string expected;  // part of the error_msg
};

std::ostream& operator<<(std::ostream& out, const NotTheFile& c) { return out << c.name; }

// Regular files of the cache directory outside cache-tier's own state.
std::vector<fs::path> cached_files(const fs::path& cache_dir) {
    std::vector<fs::path> found;
    for (auto it = fs::recursive_directory_iterator(cache_dir); it != fs::recursive_directory_iterator(); ++it) {
        if (it->path().filename() == ".cache-tier") it.disable_recursion_pending();
        else if (it->is_regular_file()) found.push_back(it->path());
    }
    return found;
}

// One fake and one server for all cases: each case asks for its own name.
class OriginAnswers : public ::testing::TestWithParam<NotTheFile> {
protected:
    static void SetUpTestSuite() {
        origin_ = std::make_unique<TempDir>();
        cache_ = std::make_unique<TempDir>();
        ct_test::write_file(*origin_ / "file.bin", ct_test::random_bytes(200000, 5));
        fake_ = std::make_unique<FakeOrigin>("misbehaving_origin.py", origin_->path());
        server_ = std::make_unique<CacheTierServer>(cache_->path(),
                                                    std::vector<std::string>{"--origin", fake_->base_url()});
    }
    static void TearDownTestSuite() {
        server_.reset();
        fake_.reset();
        cache_.reset();
        origin_.reset();
    }

    static inline std::unique_ptr<TempDir> origin_;
    static inline std::unique_ptr<TempDir> cache_;
    static inline std::unique_ptr<FakeOrigin> fake_;
    static inline std::unique_ptr<CacheTierServer> server_;
};

TEST_P(OriginAnswers, FillFailsSayingWhyAndCachesNothing) {
    const auto& [name, expected] = GetParam();
    ASSERT_TRUE(eventually_state(server_->port(), name, "failed", 10s)) << name << "\n" << server_log(*server_);
    auto json = verify(server_->port(), name);
    EXPECT_EQ(json["available"], false);
    EXPECT_EQ(json["error"], true);
    ASSERT_TRUE(json["error_msg"].is_string()) << json.dump();
    EXPECT_NE(json["error_msg"].get<std::string>().find(expected), std::string::npos) << json.dump();
    EXPECT_TRUE(cached_files(cache_->path()).empty());
    auto served = ct_test::http_get(server_->port(), "/static/files_cache/" + name);
    ASSERT_TRUE(served);
    EXPECT_EQ(served->status, 404);
    EXPECT_TRUE(temp_files(cache_->path()).empty());
}

INSTANTIATE_TEST_SUITE_P(
    NotTheWholeFile, OriginAnswers,
    ::testing::Values(
        NotTheFile{"partial/file.bin", "origin answered 206 Partial Content; only a 200 with the whole file"},
        NotTheFile{"redirect/partial/file.bin", "origin answered 206 Partial Content"},
        NotTheFile{"ranged200/file.bin", "Content-Range"},
        NotTheFile{"file-status/202/file.bin", "origin answered 202 Accepted"},
        NotTheFile{"file-status/203/file.bin", "origin answered 203 Non-Authoritative Information"},
        NotTheFile{"file-status/204/file.bin", "origin answered 204 No Content"},
        NotTheFile{"file-status/205/file.bin", "origin answered 205 Reset Content"},
        NotTheFile{"encoded/file.bin",
                   "origin sent the file with Content-Encoding: gzip; cache-tier stores files only as they are"},
        NotTheFile{"twolengths/file.bin", "conflicting Content-Length values (200010, 200000)"},
        NotTheFile{"lengthlist/file.bin", "conflicting Content-Length values (200000, 200010)"},
        NotTheFile{"badlength/file.bin", "origin sent an invalid response: Invalid Content-Length"},
        NotTheFile{"cl-and-te/file.bin", "both Content-Length and Transfer-Encoding"},
        NotTheFile{"nostore/file.bin", "origin marks the file Cache-Control: no-store; a shared cache may not keep it"},
        NotTheFile{"private/file.bin", "Cache-Control: private, max-age=60; a shared cache may not keep it"},
        NotTheFile{"htmlerror/mp3/episode.mp3",
                   "origin answered 200 with Content-Type: text/html; charset=utf-8 for a .mp3 file (audio/mpeg)"},
        NotTheFile{"htmlerror/mp4/Video.MP4", "for a .MP4 file (video/mp4)"},
        NotTheFile{"htmlerror/zip/archive.zip", "an HTML page, most likely an error page, is not the file"}),
    [](const auto& info) {
        std::string name = info.param.name.substr(0, info.param.name.rfind('/'));
        for (char& c : name)
            if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
        return name;
    });

// An origin that sends a second response nobody asked for after a file: the
// next fills must get their own files, never those bytes.
TEST(OriginAnswersExcess, BytesPastAResponseNeverBecomeAnotherFile) {
    TempDir origin, cache;
    ct_test::write_file(origin / "first.bin", ct_test::random_bytes(1000, 1));
    for (int i = 0; i < 6; ++i) ct_test::write_file(origin / ("v" + std::to_string(i) + ".bin"), ct_test::random_bytes(5000, 10 + i));
    FakeOrigin fake("misbehaving_origin.py", origin.path());
    CacheTierServer server(cache.path(), {"--origin", fake.base_url(), "--fill-workers", "1"});
    ASSERT_TRUE(eventually_state(server.port(), "excess/first.bin", "cached")) << server_log(server);
    for (int i = 0; i < 6; ++i) {
        const std::string name = "v" + std::to_string(i) + ".bin";
        std::this_thread::sleep_for(100ms);  // the excess is sent 50 ms after the file
        ASSERT_TRUE(eventually_state(server.port(), name, "cached")) << name << "\n" << server_log(server);
        EXPECT_TRUE(ct_test::read_file(cache / name) == ct_test::read_file(origin / name)) << name << " is not its file";
    }
}

// Answers that are the file after all, each for the rule's own reason.
class OriginAnswersAccepted : public ::testing::TestWithParam<const char*> {};

TEST_P(OriginAnswersAccepted, AreCachedWhole) {
    const std::string name = GetParam();
    TempDir origin, cache;
    const std::string body = ct_test::random_bytes(200000, 6);
    ct_test::write_file(origin / "file.bin", body);
    FakeOrigin fake("misbehaving_origin.py", origin.path());
    CacheTierServer server(cache.path(), {"--origin", fake.base_url()});
    ASSERT_TRUE(eventually_state(server.port(), name, "cached", 10s)) << server_log(server);
    auto served = ct_test::http_get(server.port(), "/static/files_cache/" + name);
    ASSERT_TRUE(served);
    auto from_origin = ct_test::http_get(fake.port(), "/" + name);
    ASSERT_TRUE(from_origin && from_origin->status == 200);
    EXPECT_TRUE(served->body == from_origin->body);
    EXPECT_TRUE(name.starts_with("htmlerror/") || served->body == body);
}

INSTANTIATE_TEST_SUITE_P(
    TheWholeFile, OriginAnswersAccepted,
    // RFC 9110 §8.6: a list of one length repeated is that length. RFC 9111
    // §5.2.2.7: private with field names restricts those fields only.
    // An HTML page is the file when the name says HTML, or says nothing.
    ::testing::Values("samelengths/file.bin", "privatefield/file.bin", "htmlerror/page.html", "htmlerror/file.bin"),
    [](const auto& info) {
        std::string name(info.param);
        for (char& c : name)
            if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
        return name;
    });

}  // namespace
}  // namespace fill_it
