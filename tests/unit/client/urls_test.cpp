// Base URLs, file names and how they are spelled on the wire.
#include "client/urls.hpp"

#include <gtest/gtest.h>

#include <string>

#include "cache_tier/client.hpp"

namespace cache_tier::client {
namespace {

TEST(NormalizeBaseUrl, DropsTrailingSlashesAndSurroundingSpace) {
    EXPECT_EQ(normalize_base_url("http://downloads.example.com/"), "http://downloads.example.com");
    EXPECT_EQ(normalize_base_url("http://downloads.example.com"), "http://downloads.example.com");
    EXPECT_EQ(normalize_base_url("  http://h:8080///  "), "http://h:8080");
    EXPECT_EQ(normalize_base_url("https://h/cacheapp/"), "https://h/cacheapp");
    EXPECT_EQ(normalize_base_url("HTTP://h"), "HTTP://h");
}

class BadBaseUrl : public ::testing::TestWithParam<const char*> {};

TEST_P(BadBaseUrl, IsRefusedWithCacheError) {
    EXPECT_THROW(normalize_base_url(GetParam()), CacheError);
}

INSTANTIATE_TEST_SUITE_P(Cases, BadBaseUrl,
                         ::testing::Values("", "   ", "downloads.example.com", "ftp://h/", "file:///tmp", "http://",
                                           "http:///path", "http://:8080/", "http://h/?x=1", "http://h/#top",
                                           "http://h o/", "http://h/\x01"));

TEST(CheckedName, TrimsSurroundingWhitespace) {
    EXPECT_EQ(checked_name(" a.mp3\t"), "a.mp3");
    EXPECT_EQ(checked_name("Show/Ep 1.mp3"), "Show/Ep 1.mp3");
}

TEST(CheckedName, BlankNamesThrow) {
    for (const char* blank : {"", " ", "\t\r\n", "\v\f "}) EXPECT_THROW(checked_name(blank), CacheError) << blank;
}

TEST(EncodeName, KeepsUnreservedCharactersAndSlashes) {
    EXPECT_EQ(encode_name("AZaz09-._~/x"), "AZaz09-._~/x");
}

TEST(EncodeName, EncodesEverythingElsePerByte) {
    EXPECT_EQ(encode_name("Ep 1.mp3"), "Ep%201.mp3");
    EXPECT_EQ(encode_name("a?b#c%d+e&f"), "a%3Fb%23c%25d%2Be%26f");
    EXPECT_EQ(encode_name("caf\xc3\xa9.mp3"), "caf%C3%A9.mp3");
    EXPECT_EQ(encode_name(std::string("a\0b", 3)), "a%00b");
    EXPECT_EQ(encode_name("a\\b"), "a%5Cb");
}

TEST(EncodeName, KeepsSegmentsApart) {
    EXPECT_EQ(encode_name("shows/2024/Ep 1.mp3"), "shows/2024/Ep%201.mp3");
}

TEST(RouteUrl, PutsExactlyOneSlashBetweenParts) {
    EXPECT_EQ(route_url("http://h", "download", "a.mp3"), "http://h/download/a.mp3");
    EXPECT_EQ(route_url(normalize_base_url("http://h/app//"), "verify", "x/y z"), "http://h/app/verify/x/y%20z");
}

TEST(LowerAscii, LowersOnlyAscii) {
    EXPECT_EQ(lower_ascii("Some_BIG_File.MP3"), "some_big_file.mp3");
    EXPECT_EQ(lower_ascii("\xc3\x89"), "\xc3\x89");
}

}  // namespace
}  // namespace cache_tier::client
