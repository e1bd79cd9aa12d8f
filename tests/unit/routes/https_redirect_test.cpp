// The redirect to HTTPS as a plain function: which Host it accepts, the port
// it names, and that the path and query reach the Location only as URI
// characters (RFC 3986), whatever the request held.
#include "routes/https_redirect.hpp"

#include <gtest/gtest.h>

namespace cache_tier::routes {
namespace {

TEST(HttpsLocation, KeepsTheHostDropsItsPortAndNamesTheHttpsPortUnless443) {
    EXPECT_EQ(https_location("example.com:8080", "/a/b.mp3", "", 443), "https://example.com/a/b.mp3");
    EXPECT_EQ(https_location("example.com", "/a", "x=1&y=2", 8443), "https://example.com:8443/a?x=1&y=2");
    EXPECT_EQ(https_location("[2001:db8::1]:80", "/", "", 443), "https://[2001:db8::1]/");
    EXPECT_EQ(https_location("10.0.0.1", "", "", 443), "https://10.0.0.1/");
}

TEST(HttpsLocation, EscapesWhatIsNotAUriCharacter) {
    EXPECT_EQ(https_location("h", "/a b\"<c>\\", "q=\x01\x7f\xff", 443), "https://h/a%20b%22%3Cc%3E%5C?q=%01%7F%FF");
    // Already escaped stays as it was (no double escaping), '#' is escaped.
    EXPECT_EQ(https_location("h", "/a%20b#c", "", 443), "https://h/a%20b%23c");
    EXPECT_EQ(https_location("h", "/x\r\nSet-Cookie: a=b", "", 443), "https://h/x%0D%0ASet-Cookie:%20a=b");
}

TEST(HttpsLocation, RefusesAHostThatIsNotANameOrAnAddress) {
    for (const char* bad : {"", ":80", "a b", "evil.com/x", "evil.com\"", "a@b", "h:80x", "[::1", "[zz]", "[]",
                            "h\r\nX: y", "h:80:90"})
        EXPECT_EQ(https_location(bad, "/", "", 443), "") << bad;
}

}  // namespace
}  // namespace cache_tier::routes
