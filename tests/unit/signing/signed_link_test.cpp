// The signed-link scheme (docs/signed-links.md): known answers computed
// outside this code, expiry against a clock moved by hand, tampering, parsing.
#include "signing/signed_link.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <vector>

#include "support/manual_clock.hpp"
#include "support/process.hpp"

namespace cache_tier::signing {
namespace {

constexpr std::string_view kSecret = "correct horse battery staple";
constexpr std::int64_t kExpires = 1767229200;  // 2026-01-01T01:00:00Z

// Each expected signature was computed with Python's hmac module:
//   base64.urlsafe_b64encode(hmac.new(secret, (path + "\n" + str(expires)).encode(),
//                                     hashlib.sha256).digest()).rstrip(b"=")
// and the first also with `printf '%s\n%s' PATH EXPIRES | openssl dgst -sha256
// -hmac SECRET -binary | base64 | tr '+/' '-_' | tr -d '='`.
struct KnownAnswer {
    std::string_view path;
    std::int64_t expires;
    std::string_view signature;
};
constexpr KnownAnswer kKnownAnswers[] = {
    {"/static/files_cache/some_big_file.mp3", 1767229200, "Sd0wS9QARBuANdTgkxWjKR-QtFqUM7n7p5PjS5DSDAs"},
    {"/static/files_cache/show/ep 1.mp3", 1767229200, "IZX2a3MA1TQ5hymmOwvAFDOcetxax8QA9-jh9c2HO-k"},
    {"/static/files_cache/some_big_file.mp3", 1767229201, "BfCsx7-mnnUoE0D3HdxXPuDQaJZC3xddFI_m9xtZZOI"},
    {"/files/caf\xc3\xa9.mp3", 4102444800, "-2gBpHVHEYCPHM7T8Arfm3xiKIp95t4RZ7fjNzczSLE"},
};

std::string query_for(std::string_view path, std::int64_t expires) {
    return "expires=" + std::to_string(expires) + "&signature=" + signature(kSecret, path, expires);
}

TEST(SignedLink, SignaturesMatchIndependentlyComputedValues) {
    for (const auto& known : kKnownAnswers) {
        EXPECT_EQ(signature(kSecret, known.path, known.expires), known.signature) << known.path;
        EXPECT_EQ(link_query(kSecret, known.path, known.expires),
                  "expires=" + std::to_string(known.expires) + "&signature=" + std::string(known.signature));
        EXPECT_EQ(check_link(kSecret, known.path, link_query(kSecret, known.path, known.expires), known.expires),
                  LinkError::none);
    }
}

TEST(SignedLink, SignedPathLowersAsciiLettersOfTheNameOnly) {
    EXPECT_EQ(signed_path("/static/files_cache/", "Show/Ep 1.MP3"), "/static/files_cache/show/ep 1.mp3");
    // The prefix is the operator's, kept as configured; UTF-8 bytes are not folded.
    EXPECT_EQ(signed_path("/Files/", "CAF\xc3\x89.mp3"), "/Files/caf\xc3\x89.mp3");
}

TEST(SignedLink, ValidUntilTheExpirySecondThenExpiredWithAManualClock) {
    ct_test::ManualClock clock;  // 2026-01-01T00:00:00Z
    const std::string path = signed_path("/static/files_cache/", "some_big_file.mp3");
    const std::int64_t expires = clock.unix_seconds() + 3600;
    const std::string query = query_for(path, expires);
    EXPECT_EQ(check_link(kSecret, path, query, clock.unix_seconds()), LinkError::none);
    clock.advance(std::chrono::seconds(3600));
    EXPECT_EQ(check_link(kSecret, path, query, clock.unix_seconds()), LinkError::none);
    clock.advance(std::chrono::seconds(1));
    EXPECT_EQ(check_link(kSecret, path, query, clock.unix_seconds()), LinkError::expired);
}

TEST(SignedLink, TamperedLinksAreRefused) {
    const std::string path = "/static/files_cache/some_big_file.mp3";
    const std::string sig = signature(kSecret, path, kExpires);
    const auto check = [&](std::string_view p, std::string_view query) { return check_link(kSecret, p, query, kExpires - 10); };
    const std::string good = "expires=" + std::to_string(kExpires) + "&signature=" + sig;
    ASSERT_EQ(check(path, good), LinkError::none);
    // Another file, a name that only starts like it, another prefix.
    EXPECT_EQ(check("/static/files_cache/other_file.mp3", good), LinkError::wrong_signature);
    EXPECT_EQ(check("/static/files_cache/some_big_file.mp3.bak", good), LinkError::wrong_signature);
    EXPECT_EQ(check("/static/files_cache/some_big_file.mp", good), LinkError::wrong_signature);
    EXPECT_EQ(check("/other/some_big_file.mp3", good), LinkError::wrong_signature);
    // A later expiry with the old signature.
    EXPECT_EQ(check(path, "expires=" + std::to_string(kExpires + 1) + "&signature=" + sig), LinkError::wrong_signature);
    // Truncated or lengthened signature.
    EXPECT_EQ(check(path, "expires=" + std::to_string(kExpires) + "&signature=" + sig.substr(0, 42)),
              LinkError::bad_signature);
    EXPECT_EQ(check(path, "expires=" + std::to_string(kExpires) + "&signature=" + sig + "A"), LinkError::bad_signature);
    // One character's case changed: base64url is case-sensitive.
    std::string flipped = sig;
    for (char& c : flipped) {
        if (c >= 'a' && c <= 'z') { c = static_cast<char>(c - 'a' + 'A'); break; }
        if (c >= 'A' && c <= 'Z') { c = static_cast<char>(c - 'A' + 'a'); break; }
    }
    EXPECT_EQ(check(path, "expires=" + std::to_string(kExpires) + "&signature=" + flipped), LinkError::wrong_signature);
    // The same 32 bytes spelled another way (the last character's spare bits,
    // standard base64's '+' and '/', padding) are not accepted.
    std::string spare = sig;
    spare.back() = spare.back() == 'A' ? 'B' : 'A';
    EXPECT_EQ(check(path, "expires=" + std::to_string(kExpires) + "&signature=" + spare), LinkError::wrong_signature);
    EXPECT_EQ(check(path, "expires=" + std::to_string(kExpires) + "&signature=" + sig + "="), LinkError::bad_signature);
    // Another secret.
    EXPECT_EQ(check_link("another secret, 32 bytes long..", path, good, kExpires - 10), LinkError::wrong_signature);
}

TEST(SignedLink, ExpiredIsOnlySaidOfAGenuineLink) {
    const std::string path = "/static/files_cache/a.mp3";
    EXPECT_EQ(check_link(kSecret, path, query_for(path, 1000), 2000), LinkError::expired);
    EXPECT_EQ(check_link(kSecret, path, "expires=1000&signature=" + std::string(43, 'A'), 2000),
              LinkError::wrong_signature);
}

TEST(SignedLink, MissingDuplicatedAndMalformedParametersAreRefused) {
    const std::string path = "/static/files_cache/a.mp3";
    const std::string sig = signature(kSecret, path, kExpires);
    const std::string exp = std::to_string(kExpires);
    const auto check = [&](const std::string& query) { return check_link(kSecret, path, query, kExpires - 1); };
    EXPECT_EQ(check(""), LinkError::unsigned_link);
    EXPECT_EQ(check("utm_source=x"), LinkError::unsigned_link);
    EXPECT_EQ(check("signature=" + sig), LinkError::missing_expires);
    EXPECT_EQ(check("expires=" + exp), LinkError::missing_signature);
    EXPECT_EQ(check("expires=" + exp + "&signature=" + sig + "&expires=" + exp), LinkError::duplicate_parameter);
    EXPECT_EQ(check("expires=" + exp + "&signature=" + sig + "&signature=" + sig), LinkError::duplicate_parameter);
    EXPECT_EQ(check("expires&signature=" + sig), LinkError::bad_expires);
    EXPECT_EQ(check("expires=&signature=" + sig), LinkError::bad_expires);
    for (const std::string& bad : std::vector<std::string>{"0" + exp, "+" + exp, "-1", exp + " ", "1e9", "0x10",
                                                          "9999999999999999999", "12a"})
        EXPECT_EQ(check("expires=" + bad + "&signature=" + sig), LinkError::bad_expires) << bad;
    // "0" is the one number written with a leading zero: a link made for it verifies (and is long expired).
    EXPECT_EQ(check_link(kSecret, path, link_query(kSecret, path, 0), 0), LinkError::none);
    EXPECT_EQ(check("expires=00&signature=" + sig), LinkError::bad_expires);
    EXPECT_EQ(check("expires=" + exp + "&signature"), LinkError::bad_signature);
    EXPECT_EQ(check("expires=" + exp + "&signature=" + std::string(42, 'A') + "+"), LinkError::bad_signature);
    EXPECT_EQ(check("expires=" + exp + "&signature=" + std::string(42, 'A') + "%"), LinkError::bad_signature);
    // Names are matched exactly: no case folding, no percent-decoding.
    EXPECT_EQ(check("Expires=" + exp + "&signature=" + sig), LinkError::missing_expires);
    EXPECT_EQ(check("%65xpires=" + exp + "&signature=" + sig), LinkError::missing_expires);
}

TEST(SignedLink, OtherParametersAndTheirOrderDoNotMatter) {
    const std::string path = "/static/files_cache/a.mp3";
    const std::string sig = signature(kSecret, path, kExpires);
    const std::string exp = std::to_string(kExpires);
    for (const std::string& query :
         {"signature=" + sig + "&expires=" + exp, "utm_source=feed&expires=" + exp + "&x&&signature=" + sig + "&y=1",
          "expires=" + exp + "&signature=" + sig + "&"})
        EXPECT_EQ(check_link(kSecret, path, query, kExpires), LinkError::none) << query;
}

TEST(SignedLink, DescriptionsNeverCarryTheSecretOrASignature) {
    for (auto e : {LinkError::unsigned_link, LinkError::missing_expires, LinkError::missing_signature,
                   LinkError::duplicate_parameter, LinkError::bad_expires, LinkError::bad_signature,
                   LinkError::wrong_signature, LinkError::expired}) {
        const std::string_view text = describe(e);
        EXPECT_FALSE(text.empty());
        EXPECT_LT(text.size(), 80u);
        EXPECT_EQ(text.find(kSecret), std::string_view::npos);
    }
}

TEST(SignedLink, SecretsShorterThan16BytesAreRefused) {
    EXPECT_FALSE(check_secret("").ok());
    EXPECT_FALSE(check_secret("fifteen bytes!!").ok());
    EXPECT_NE(check_secret("fifteen bytes!!").error().message.find("at least 16"), std::string::npos);
    EXPECT_TRUE(check_secret("sixteen bytes!!!").ok());
    EXPECT_FALSE(check_secret(std::string(kMaxSecretBytes + 1, 'x')).ok());
}

TEST(SignedLink, SecretFileLosesItsTrailingLineEndsOnly) {
    ct_test::TempDir dir;
    const auto write = [&](const std::string& name, const std::string& bytes) {
        std::ofstream(dir / name, std::ios::binary) << bytes;
        return (dir / name).string();
    };
    auto secret = read_secret_file(write("lf", std::string(kSecret) + "\n"));
    ASSERT_TRUE(secret.ok()) << secret.error().message;
    EXPECT_EQ(*secret, kSecret);
    secret = read_secret_file(write("crlf", " padded secret, kept as is \r\n\n"));
    ASSERT_TRUE(secret.ok());
    EXPECT_EQ(*secret, " padded secret, kept as is ");
    // Sized by the array, terminator included: a length written by hand read past it.
    const char binary[] = "\0\x01\xff secret bytes \0";
    secret = read_secret_file(write("binary", std::string(binary, sizeof binary)));
    ASSERT_TRUE(secret.ok());
    EXPECT_EQ(secret->size(), sizeof binary);

    const auto refused = [&](const std::string& path, std::string_view needle) {
        auto r = read_secret_file(path);
        ASSERT_FALSE(r.ok()) << path;
        EXPECT_NE(r.error().message.find(path), std::string::npos) << r.error().message;
        EXPECT_NE(r.error().message.find(needle), std::string::npos) << r.error().message;
    };
    refused(write("empty", ""), "empty");
    refused(write("newline", "\n\n"), "empty");
    refused(write("short", "short\n"), "at least 16");
    refused(write("large", std::string(10000, 'x')), "not a secret file");
    refused((dir / "absent").string(), "No such file");
    refused(dir.path().string(), "not a regular file");
}

}  // namespace
}  // namespace cache_tier::signing
