// The status page at / in Debian's headless chromium: after its script ran,
// the numbers it shows are those of /metrics, file names from the origin are
// shown as text (never as markup), and a screenshot is kept as an artifact
// (test-artifacts/status-page.png in the build directory).
#include <cstdlib>
#include <map>
#include <regex>

#include <gtest/gtest.h>

#include "fill_support.hpp"

namespace status_page_it {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using ct_test::CacheTierServer;
using ct_test::Nginx;
using ct_test::TempDir;

// Headless chromium on `url`, a fresh profile each time; `output` takes what
// it prints (the DOM with --dump-dom). Its exit status.
int chromium(const std::string& url, const std::string& mode, const fs::path& profile, const fs::path& output) {
    fs::create_directories(profile);
    const std::string cmd = "timeout 120 /usr/bin/chromium --headless --no-sandbox --disable-gpu --disable-quic "
                            "--no-first-run --disable-background-networking --disable-component-update --disable-sync "
                            "--user-data-dir=" + profile.string() + " --virtual-time-budget=5000 " + mode + " '" + url +
                            "' > " + output.string() + " 2> " + output.string() + ".err";
    return std::system(cmd.c_str());
}

// The raw number behind a shown value: data-value="..." of the element with that id.
std::optional<double> shown_value(const std::string& dom, const std::string& id) {
    std::smatch m;
    if (!std::regex_search(dom, m, std::regex("id=\"" + id + "\"[^>]*data-value=\"([^\"]*)\"")) || m[1].str().empty())
        return std::nullopt;
    return std::stod(m[1].str());
}

double metric(const std::string& text, const std::string& series) {
    for (const auto& line : ct_test::split_lines(text))
        if (line.starts_with(series + " ")) return std::stod(line.substr(series.size() + 1));
    ADD_FAILURE() << "no sample " << series;
    return -1;
}

TEST(StatusPage, ShowsTheNumbersOfMetricsInChromium) {
    TempDir origin, cache, work;
    const std::string a = ct_test::random_bytes(200000, 5), b = ct_test::random_bytes(3000, 6);
    ct_test::write_file(origin / "a.mp3", a);
    ct_test::write_file(origin / "b.mp3", b);
    Nginx nginx(fill_it::world_readable(origin.path()));
    CacheTierServer server(cache.path(), {"--origin", nginx.base_url(), "--origin-price-per-gb", "0.12"});
    ASSERT_TRUE(fill_it::eventually_state(server.port(), "a.mp3", "cached"));
    ASSERT_TRUE(fill_it::eventually_state(server.port(), "b.mp3", "cached"));
    ASSERT_TRUE(fill_it::eventually_state(server.port(), "no%3Cb%3Ehere.mp3", "not_found"));
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(ct_test::http_get(server.port(), "/static/files_cache/a.mp3"));
    ASSERT_TRUE(ct_test::http_get(server.port(), "/static/files_cache/b.mp3", {"Range: bytes=0-99"}));

    const std::string url = server.base_url() + "/";
    ASSERT_EQ(chromium(url, "--dump-dom", work / "profile1", work / "dom.html"), 0)
        << ct_test::read_file(work / "dom.html.err");
    const std::string dom = ct_test::read_file(work / "dom.html");
    const std::string metrics = ct_test::http_get(server.port(), "/metrics")->body;

    // Counts the page's own requests do not move.
    EXPECT_EQ(shown_value(dom, "files"), metric(metrics, "cache_tier_cached_files")) << dom;
    EXPECT_EQ(shown_value(dom, "cached-bytes"), metric(metrics, "cache_tier_cached_bytes"));
    EXPECT_EQ(shown_value(dom, "bytes-served"), metric(metrics, "cache_tier_bytes_served_total"));
    EXPECT_EQ(shown_value(dom, "bytes-served"), 3 * a.size() + 100);
    EXPECT_EQ(shown_value(dom, "origin-bytes"), metric(metrics, "cache_tier_origin_bytes_total"));
    EXPECT_EQ(shown_value(dom, "fills-running"), metric(metrics, "cache_tier_fills_in_flight"));
    const double hits = metric(metrics, "cache_tier_cache_requests_total{result=\"hit\"}");
    const double misses = metric(metrics, "cache_tier_cache_requests_total{result=\"miss\"}");
    ASSERT_TRUE(shown_value(dom, "hit-ratio"));
    EXPECT_NEAR(*shown_value(dom, "hit-ratio"), hits / (hits + misses), 1e-9);
    ASSERT_TRUE(shown_value(dom, "cost-saved"));
    EXPECT_NEAR(*shown_value(dom, "cost-saved"), (3 * a.size() + 100) / 1073741824.0 * 0.12, 1e-12);
    // The failed fill is listed, its name as text.
    EXPECT_NE(dom.find("no&lt;b&gt;here.mp3"), std::string::npos);
    EXPECT_EQ(dom.find("no<b>here.mp3"), std::string::npos);
    EXPECT_NE(dom.find("not_found"), std::string::npos);
    EXPECT_NE(dom.find("/static/files_cache/&lt;name&gt;"), std::string::npos) << "the endpoint list";

    const fs::path artifacts = fs::path(CACHE_TIER_ARTIFACT_DIR);
    fs::create_directories(artifacts);
    const fs::path shot = artifacts / "status-page.png";
    fs::remove(shot);
    ASSERT_EQ(chromium(url, "--screenshot=" + shot.string() + " --window-size=1200,900", work / "profile2",
                       work / "shot.log"),
              0)
        << ct_test::read_file(work / "shot.log.err");
    const std::string png = ct_test::read_file(shot);
    ASSERT_GT(png.size(), 1000u);
    EXPECT_EQ(png.substr(1, 3), "PNG");
}

}  // namespace
}  // namespace status_page_it
