// Content-Type from the file name's extension.
#include "http/mime.hpp"

#include <gtest/gtest.h>

#include <cctype>
#include <ostream>
#include <string>

namespace cache_tier::http {
namespace {

struct MimeCase {
    std::string file_name;
    std::string type;
};

void PrintTo(const MimeCase& c, std::ostream* os) { *os << '"' << c.file_name << "\" -> " << c.type; }

std::string test_name(const ::testing::TestParamInfo<MimeCase>& info) {
    std::string name;
    for (char c : info.param.file_name) name += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
    return name + "_" + std::to_string(info.index);
}

class MimeTest : public ::testing::TestWithParam<MimeCase> {};

TEST_P(MimeTest, MapsToType) { EXPECT_EQ(content_type_for(GetParam().file_name), GetParam().type); }

INSTANTIATE_TEST_SUITE_P(
    Audio, MimeTest,
    ::testing::Values(MimeCase{"ep1.mp3", "audio/mpeg"}, MimeCase{"a.m4a", "audio/mp4"},
                      MimeCase{"a.aac", "audio/aac"}, MimeCase{"a.ogg", "audio/ogg"}, MimeCase{"a.oga", "audio/ogg"},
                      MimeCase{"a.opus", "audio/opus"}, MimeCase{"a.wav", "audio/wav"},
                      MimeCase{"a.flac", "audio/flac"}),
    test_name);

INSTANTIATE_TEST_SUITE_P(Video, MimeTest,
                         ::testing::Values(MimeCase{"v.mp4", "video/mp4"}, MimeCase{"v.m4v", "video/mp4"},
                                           MimeCase{"v.webm", "video/webm"}, MimeCase{"v.mkv", "video/x-matroska"},
                                           MimeCase{"v.mov", "video/quicktime"}),
                         test_name);

INSTANTIATE_TEST_SUITE_P(Images, MimeTest,
                         ::testing::Values(MimeCase{"i.jpg", "image/jpeg"}, MimeCase{"i.jpeg", "image/jpeg"},
                                           MimeCase{"i.png", "image/png"}, MimeCase{"i.gif", "image/gif"},
                                           MimeCase{"i.webp", "image/webp"}, MimeCase{"i.svg", "image/svg+xml"},
                                           MimeCase{"favicon.ico", "image/x-icon"},
                                           MimeCase{"i.avif", "image/avif"}),
                         test_name);

INSTANTIATE_TEST_SUITE_P(
    TextAndApplications, MimeTest,
    ::testing::Values(MimeCase{"index.html", "text/html; charset=utf-8"},
                      MimeCase{"index.htm", "text/html; charset=utf-8"},
                      MimeCase{"notes.txt", "text/plain; charset=utf-8"}, MimeCase{"s.css", "text/css"},
                      MimeCase{"app.js", "text/javascript"}, MimeCase{"d.json", "application/json"},
                      MimeCase{"feed.xml", "application/xml"}, MimeCase{"doc.pdf", "application/pdf"},
                      MimeCase{"a.zip", "application/zip"}, MimeCase{"a.tar.gz", "application/gzip"},
                      MimeCase{"a.tar", "application/x-tar"}, MimeCase{"book.epub", "application/epub+zip"},
                      MimeCase{"m.wasm", "application/wasm"}),
    test_name);

// Extensions compare case-insensitively; only the last segment's last extension counts.
INSTANTIATE_TEST_SUITE_P(
    NameShapes, MimeTest,
    ::testing::Values(MimeCase{"EP1.MP3", "audio/mpeg"}, MimeCase{"Ep1.Mp3", "audio/mpeg"},
                      MimeCase{"show/season 1/ep1.mp3", "audio/mpeg"}, MimeCase{"a.mp3.mp4", "video/mp4"},
                      MimeCase{"a.mp4.part", "application/octet-stream"},
                      MimeCase{"dir.mp3/file", "application/octet-stream"},
                      MimeCase{"dir.mp3/", "application/octet-stream"},
                      MimeCase{"README", "application/octet-stream"},
                      MimeCase{"trailing.", "application/octet-stream"},
                      MimeCase{"", "application/octet-stream"}, MimeCase{".", "application/octet-stream"},
                      MimeCase{".mp3", "audio/mpeg"}, MimeCase{"a.unknownext", "application/octet-stream"},
                      MimeCase{"a.mp", "application/octet-stream"}, MimeCase{"a.mp33", "application/octet-stream"},
                      MimeCase{"a.verylongextension", "application/octet-stream"},
                      MimeCase{std::string("a.mp3\0", 6), "application/octet-stream"},
                      MimeCase{"a.m\xc3\xa4" "3", "application/octet-stream"}),
    test_name);

}  // namespace
}  // namespace cache_tier::http
