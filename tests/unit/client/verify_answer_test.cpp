// Reading a server's /verify answer, and refusing everything else.
#include "client/verify_answer.hpp"

#include <gtest/gtest.h>

#include <string>

namespace cache_tier::client {
namespace {

TEST(VerifyAnswer, ReadsTheOriginalShape) {
    const auto answer =
        parse_verify_answer(R"({"available": true, "file": "a.mp3", "error": false, "error_msg": null})");
    ASSERT_TRUE(answer);
    EXPECT_TRUE(answer->available);
    EXPECT_EQ(answer->file, "a.mp3");
    EXPECT_FALSE(answer->error);
    EXPECT_EQ(answer->error_msg, "");
}

TEST(VerifyAnswer, ReadsAnErrorReport) {
    const auto answer = parse_verify_answer(
        R"({"available": false, "file": "a.mp3", "error": true, "error_msg": "origin answered 503", "extra": [1]})");
    ASSERT_TRUE(answer);
    EXPECT_FALSE(answer->available);
    EXPECT_TRUE(answer->error);
    EXPECT_EQ(answer->error_msg, "origin answered 503");
}

TEST(VerifyAnswer, OnlyAvailableIsRequired) {
    const auto answer = parse_verify_answer(R"({"available": true})");
    ASSERT_TRUE(answer);
    EXPECT_TRUE(answer->available);
}

class GarbageAnswer : public ::testing::TestWithParam<std::string> {};

TEST_P(GarbageAnswer, IsRefusedWithAReason) {
    std::string why;
    EXPECT_FALSE(parse_verify_answer(GetParam(), &why));
    EXPECT_FALSE(why.empty());
}

INSTANTIATE_TEST_SUITE_P(Cases, GarbageAnswer,
                         ::testing::Values("", "<html>502 Bad Gateway</html>", "{", "[true]", "true",
                                           R"({"available": "true"})", R"({"available": 1})", R"({"file": "a"})",
                                           R"({"available": true} trailing)", std::string(100000, '[')));

}  // namespace
}  // namespace cache_tier::client
