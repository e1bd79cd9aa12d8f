// Sizes in the configuration and on the command line: bytes, or K/M/G/T as
// powers of 1024, fractions with a unit; min_free also as a percentage.
#include "app/byte_size.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "app/config.hpp"
#include "support/process.hpp"

namespace cache_tier::app {
namespace {

std::uint64_t size_of(std::string_view text) {
    auto n = parse_byte_size(text);
    EXPECT_TRUE(n.ok()) << text << ": " << (n.ok() ? "" : n.error().message);
    return n.ok() ? *n : 0;
}

std::string error_of(std::string_view text) {
    auto n = parse_byte_size(text);
    EXPECT_FALSE(n.ok()) << text << " was accepted as " << (n.ok() ? *n : 0);
    return n.ok() ? "" : n.error().message;
}

TEST(ParseByteSize, PlainBytesAndBinaryUnitsInEitherCase) {
    EXPECT_EQ(size_of("0"), 0u);
    EXPECT_EQ(size_of("1048576"), 1048576u);
    EXPECT_EQ(size_of("512K"), 512u * 1024);
    EXPECT_EQ(size_of("512k"), 512u * 1024);
    EXPECT_EQ(size_of("10M"), 10u << 20);
    EXPECT_EQ(size_of("10m"), 10u << 20);
    EXPECT_EQ(size_of("3G"), 3ull << 30);
    EXPECT_EQ(size_of("2T"), 2ull << 40);
    EXPECT_EQ(size_of(" 7K "), 7u * 1024);
}

TEST(ParseByteSize, FractionsNeedAUnitAndRoundDownToWholeBytes) {
    EXPECT_EQ(size_of("1.5G"), 1610612736u);
    EXPECT_EQ(size_of("1.5K"), 1536u);
    EXPECT_EQ(size_of("0.1K"), 102u);  // 102.4
    EXPECT_EQ(size_of("0.5M"), 512u * 1024);
    EXPECT_NE(error_of("1.5").find("a fraction of a byte needs a unit"), std::string::npos);
    EXPECT_NE(error_of("1.M").find("expected a size such as"), std::string::npos);
    EXPECT_NE(error_of(".5M").find("expected a size such as"), std::string::npos);
}

TEST(ParseByteSize, BadInputSaysWhatIsWrong) {
    EXPECT_EQ(error_of("10X"),
              "expected a size such as 1048576, 512K, 10M, 1.5G or 2T (K = 1024 bytes), got '10X': unknown unit 'X' "
              "(use K, M, G or T)");
    EXPECT_NE(error_of("-1").find("a size cannot be negative"), std::string::npos);
    EXPECT_NE(error_of("-1M").find("a size cannot be negative"), std::string::npos);
    EXPECT_NE(error_of("").find("empty"), std::string::npos);
    EXPECT_NE(error_of("M").find("got 'M'"), std::string::npos);
    EXPECT_NE(error_of("10 M").find("got '10 M'"), std::string::npos);
    EXPECT_NE(error_of("10MB").find("unknown unit 'B'"), std::string::npos);
    EXPECT_NE(error_of("0x10").find("got '0x10'"), std::string::npos);
    EXPECT_NE(error_of("1e6").find("got '1e6'"), std::string::npos);
}

TEST(ParseByteSize, NothingOverflows) {
    EXPECT_EQ(size_of("9223372036854775807"), kMaxByteSize);
    EXPECT_NE(error_of("9223372036854775808").find("too large"), std::string::npos);
    EXPECT_NE(error_of("99999999999999999999999").find("too large"), std::string::npos);
    EXPECT_EQ(size_of("8388607T"), 8388607ull << 40);
    EXPECT_NE(error_of("8388608T").find("too large"), std::string::npos);
}

TEST(ParseFreeSpaceFloor, ASizeOrAPercentage) {
    auto bytes = parse_free_space_floor("2G");
    ASSERT_TRUE(bytes.ok());
    EXPECT_FALSE(bytes->is_percent);
    EXPECT_EQ(bytes->bytes, 2ull << 30);
    auto percent = parse_free_space_floor("5%");
    ASSERT_TRUE(percent.ok());
    EXPECT_TRUE(percent->is_percent);
    EXPECT_EQ(percent->percent, 5.0);
    EXPECT_EQ(parse_free_space_floor("2.5%")->percent, 2.5);
    EXPECT_NE(parse_free_space_floor("100%").error().message.find("below 100%"), std::string::npos);
    EXPECT_NE(parse_free_space_floor("-5%").error().message.find("a percentage from 0 to 99"), std::string::npos);
    EXPECT_NE(parse_free_space_floor("5%%").error().message.find("a percentage from 0 to 99"), std::string::npos);
    EXPECT_NE(parse_free_space_floor("lots").error().message.find("or a percentage such as 5%"), std::string::npos);
}

// ---- Every size key of the config file takes the same forms --------------------

Config loaded(const std::string& json) {
    ct_test::TempDir dir;
    const auto file = dir / "config.json";
    std::ofstream(file) << json;
    Config cfg;
    load_config_file(file, cfg);
    return cfg;
}

std::string refusal(const std::string& json) {
    try {
        loaded(json);
    } catch (const ConfigError& e) {
        return e.what();
    }
    ADD_FAILURE() << json << " was accepted";
    return "";
}

TEST(ConfigSizes, EverySizeKeyTakesANumberOrASizeWithAUnit) {
    Config cfg = loaded(R"({"max_cache_size": "10M", "max_file_size": "1.5G", "min_free": "5%",
                            "max_header_bytes": "16K", "max_request_line": 4096})");
    EXPECT_EQ(cfg.fill.max_cache_bytes, 10u << 20);
    EXPECT_EQ(cfg.fill.max_file_size, 1610612736u);
    EXPECT_EQ(cfg.fill.min_free_percent, 5.0);
    EXPECT_EQ(cfg.fill.min_free_bytes, 0u);
    EXPECT_EQ(cfg.server.max_header_bytes, 16u * 1024);
    EXPECT_EQ(cfg.server.max_request_line, 4096u);
    cfg = loaded(R"({"max_cache_size": 1000000, "min_free": "1G"})");
    EXPECT_EQ(cfg.fill.max_cache_bytes, 1000000u);
    EXPECT_EQ(cfg.fill.min_free_bytes, 1u << 30);
    EXPECT_EQ(cfg.fill.min_free_percent, 0.0);
    EXPECT_EQ(loaded(R"({"min_free": 4096})").fill.min_free_bytes, 4096u);
}

TEST(ConfigSizes, BadSizesNameTheKeyAndTheProblem) {
    EXPECT_NE(refusal(R"({"max_cache_size": "10X"})").find("key 'max_cache_size': expected a size such as"),
              std::string::npos);
    EXPECT_NE(refusal(R"({"max_cache_size": -1})").find("key 'max_cache_size': expected a whole number"),
              std::string::npos);
    EXPECT_NE(refusal(R"({"max_file_size": "-1"})").find("key 'max_file_size': expected a size such as 1048576, 512K, 10M, 1.5G or 2T (K = 1024 bytes), got '-1': a size cannot be negative"),
              std::string::npos);
    EXPECT_NE(refusal(R"({"min_free": "200%"})").find("key 'min_free': a percentage of free space must be below 100%"),
              std::string::npos);
    EXPECT_NE(refusal(R"({"max_header_bytes": "2M"})")
                  .find("key 'max_header_bytes': expected a size from 1024 to 1048576 bytes, got \"2M\" (2097152 bytes)"),
              std::string::npos);
    EXPECT_NE(refusal(R"({"max_cache_size": "99999999T"})").find("too large"), std::string::npos);
}

}  // namespace
}  // namespace cache_tier::app
