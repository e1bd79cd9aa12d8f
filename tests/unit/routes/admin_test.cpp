// The admin API as plain functions of the request: the token check, the
// query strings and the warm body, and the endpoints over a real fill engine
// with a file:// origin.
#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

#include "fill/fill_engine.hpp"
#include "origins/origin.hpp"
#include "route_test_support.hpp"
#include "routes/admin.hpp"
#include "routes/admin_parse.hpp"
#include "routes/routes.hpp"
#include "support/process.hpp"

namespace cache_tier::routes {
namespace {

using namespace std::chrono_literals;
using test::header;
using json = nlohmann::json;
namespace fs = std::filesystem;

constexpr std::string_view kToken = "0123456789abcdef-token";

TEST(AdminToken, ConstantTimeEqualComparesWholeContents) {
    EXPECT_TRUE(constant_time_equal("secret", "secret"));
    EXPECT_FALSE(constant_time_equal("secreT", "secret"));
    EXPECT_FALSE(constant_time_equal("secret", "secret2"));
    EXPECT_FALSE(constant_time_equal("secret2", "secret"));
    EXPECT_FALSE(constant_time_equal("", "secret"));
    EXPECT_FALSE(constant_time_equal(std::string_view("secret\0x", 8), "secret"));
}

TEST(AdminToken, BearerSchemeIsCaseInsensitiveAndTheTokenIsNot) {
    EXPECT_TRUE(bearer_token_matches("Bearer 0123456789abcdef-token", kToken));
    EXPECT_TRUE(bearer_token_matches("bearer  0123456789abcdef-token ", kToken));
    EXPECT_FALSE(bearer_token_matches("Bearer 0123456789ABCDEF-token", kToken));
    EXPECT_FALSE(bearer_token_matches("Basic 0123456789abcdef-token", kToken));
    EXPECT_FALSE(bearer_token_matches("Bearer0123456789abcdef-token", kToken));
    EXPECT_FALSE(bearer_token_matches("Bearer ", kToken));
    EXPECT_FALSE(bearer_token_matches("", kToken));
    EXPECT_FALSE(bearer_token_matches("Bearer ", "")) << "an empty token never matches";
}

TEST(AdminQuery, ListDefaultsAndLimits) {
    auto q = parse_list_query("");
    ASSERT_TRUE(q);
    EXPECT_EQ(q->limit, kDefaultListLimit);
    EXPECT_EQ(q->prefix, "");
    q = parse_list_query("prefix=Show%2FEp&limit=1000&after=Show/Ep1");
    ASSERT_TRUE(q);
    EXPECT_EQ(q->prefix, "show/ep") << "names are cached lower-cased";
    EXPECT_EQ(q->after, "show/ep1");
    EXPECT_EQ(q->limit, 1000u);
    EXPECT_EQ(parse_list_query("prefix=a+b")->prefix, "a+b") << "'+' is a plus, as in names";
}

TEST(AdminQuery, BadListQueriesSayWhatIsWrong) {
    for (const char* bad : {"limit=0", "limit=1001", "limit=ten", "limit=-1", "limit="}) {
        auto q = parse_list_query(bad);
        ASSERT_FALSE(q) << bad;
        EXPECT_NE(q.error().message.find("limit"), std::string::npos) << bad;
    }
    EXPECT_NE(parse_list_query("colour=red").error().message.find("unknown query parameter"), std::string::npos);
    EXPECT_NE(parse_list_query("limit=1&limit=2").error().message.find("twice"), std::string::npos);
    EXPECT_NE(parse_list_query("prefix=%zz").error().message.find("percent"), std::string::npos);
    EXPECT_NE(parse_list_query("prefix=a%0Ab").error().message.find("control"), std::string::npos);
    EXPECT_NE(parse_list_query("after=a%5Cb").error().message.find("after"), std::string::npos);
    EXPECT_FALSE(parse_prefix(".cache-tier/meta"));
    EXPECT_FALSE(parse_prefix("/abs"));
    EXPECT_TRUE(parse_prefix(".cache-tiered"));
}

TEST(AdminQuery, QueryValueIsFoundOnceOrRefused) {
    EXPECT_EQ(*query_value("a=1&prefix=show%2F", "prefix"), "show%2F");
    EXPECT_FALSE(query_value("a=1", "prefix"));
    EXPECT_FALSE(query_value("prefix=a&prefix=b", "prefix"));
}

TEST(AdminWarmBody, ArrayOrObjectOfNames) {
    EXPECT_EQ(*parse_warm_names(R"(["a.mp3", "Show/B.mp3"])"), (std::vector<std::string>{"a.mp3", "Show/B.mp3"}));
    EXPECT_EQ(*parse_warm_names(R"({"names": ["x"]})"), (std::vector<std::string>{"x"}));
}

TEST(AdminWarmBody, AnythingElseIsRefusedWithAReason) {
    for (const char* bad : {"", "[", "not json", "{}", R"({"names": "x"})", R"({"names": [], "x": 1})", "[]",
                            "[1]", R"(["a", null])", "\"a\"", "\xff\xfe"}) {
        auto names = parse_warm_names(bad);
        ASSERT_FALSE(names) << bad;
        EXPECT_FALSE(names.error().message.empty());
    }
    std::string many = "[";
    for (std::size_t i = 0; i <= kMaxWarmNames; ++i) many += (i ? ",\"a\"" : "\"a\"");
    many += "]";
    EXPECT_NE(parse_warm_names(many).error().message.find("at most"), std::string::npos);
}

TEST(AdminWarmBatches, AnyNumberOfNamesGoInBodiesTheServerTakes) {
    // 25000 names of 100 bytes: too many for one call and over 1 MiB.
    std::vector<std::string> names;
    for (std::size_t i = 0; i < 25000; ++i) {
        std::string n = "show/" + std::to_string(i) + "/";
        names.push_back(n + std::string(100 - n.size(), 'x'));
    }
    const WarmBatches batches = warm_batches(names);
    EXPECT_TRUE(batches.unsendable.empty());
    ASSERT_GE(batches.bodies.size(), 3u);
    std::vector<std::string> sent;
    for (const std::string& body : batches.bodies) {
        EXPECT_LE(body.size(), kMaxWarmBody);
        auto parsed = parse_warm_names(body);  // what the server does with it
        ASSERT_TRUE(parsed) << parsed.error().message;
        sent.insert(sent.end(), parsed->begin(), parsed->end());
    }
    EXPECT_EQ(sent, names) << "every name once, in order";
}

TEST(AdminWarmBatches, NamesJsonCannotCarryAreSetAsideNotThrown) {
    // A names file in Latin-1: JSON strings are UTF-8 (RFC 8259 §8.1).
    const std::vector<std::string> names = {"caf\xe9.mp3", "ok.mp3", "\xc0\xaf.mp3", "\xed\xa0\x80.mp3",
                                            "caf\xc3\xa9.mp3", std::string(kMaxWarmBody, 'a')};
    const WarmBatches batches = warm_batches(names);
    ASSERT_EQ(batches.bodies.size(), 1u);
    EXPECT_EQ(*parse_warm_names(batches.bodies[0]), (std::vector<std::string>{"ok.mp3", "caf\xc3\xa9.mp3"}));
    ASSERT_EQ(batches.unsendable.size(), 4u);
    EXPECT_EQ(batches.unsendable[0].name, "caf\xe9.mp3");
    EXPECT_NE(batches.unsendable[0].reason.find("UTF-8"), std::string::npos);
    EXPECT_NE(batches.unsendable[3].reason.find("too long"), std::string::npos);
    EXPECT_TRUE(warm_batches({}).bodies.empty());
}

class AdminRoutes : public ::testing::Test {
protected:
    ct_test::TempDir origin_dir;
    ct_test::TempDir cache;
    std::unique_ptr<fill::FillEngine> fills;
    std::string authorization = "Bearer " + std::string(kToken);
    http::Response out;

    void SetUp() override {
        ct_test::write_file(origin_dir / "Show/Ep1.mp3", "one");
        ct_test::write_file(origin_dir / "Show/Ep2.mp3", "two");
        fill::FillOptions options;
        options.cache_dir = cache.path();
        origins::OriginOptions origin;
        origin.url = "file://" + origin_dir.path().string();
        fills = std::make_unique<fill::FillEngine>(options, origins::make_origin(origin));
    }

    json call(std::string_view target, http::Method method, std::string_view body = "",
              fill::FillEngine* engine = nullptr, bool with_token = true) {
        http::Request req = test::request(target, method);
        req.method_name = method == http::Method::del ? "DELETE" : req.method_name;
        req.body = body;
        if (with_token) req.authorization = authorization;
        out.reset();
        const AdminContext ctx{std::string(kToken), engine ? engine : fills.get()};
        handle_admin(req, req.path(), out, ctx);
        EXPECT_EQ(header(out, "Content-Type"), "application/json");
        EXPECT_EQ(header(out, "Cache-Control"), "no-store");
        return json::parse(out.body);
    }
};

TEST_F(AdminRoutes, NoTokenOrAWrongOneIs401WithAChallenge) {
    auto body = call("/admin/files", http::Method::get, "", nullptr, false);
    EXPECT_EQ(out.status, 401);
    EXPECT_EQ(header(out, "WWW-Authenticate"), "Bearer realm=\"cache-tier admin\"");
    EXPECT_EQ(body["status"], 401);
    authorization = "Bearer wrong";
    call("/admin/warm", http::Method::post, R"(["Show/Ep1.mp3"])");
    EXPECT_EQ(out.status, 401);
    EXPECT_NE(header(out, "WWW-Authenticate").find("invalid_token"), std::string::npos);
    EXPECT_TRUE(fills->wait_idle(10s));
    EXPECT_FALSE(fs::exists(cache.path() / "show/ep1.mp3")) << "an unauthorised warm fills nothing";
}

TEST_F(AdminRoutes, WrongMethodsAre405WithAllow) {
    const std::pair<const char*, const char*> cases[] = {
        {"/admin/files", "GET, HEAD, DELETE"}, {"/admin/files/a", "DELETE"}, {"/admin/refresh/a", "POST"},
        {"/admin/warm", "POST"}};
    for (const auto& [target, allow] : cases) {
        call(target, http::Method::other);
        EXPECT_EQ(out.status, 405) << target;
        EXPECT_EQ(header(out, "Allow"), allow) << target;
    }
    call("/admin/nothing", http::Method::get);
    EXPECT_EQ(out.status, 404);
}

TEST_F(AdminRoutes, WarmListPurgeAndRefresh) {
    auto warmed = call("/admin/warm", http::Method::post, R"(["Show/Ep1.mp3", "Show/Ep2.mp3", "a/../b"])");
    EXPECT_EQ(out.status, 202);
    EXPECT_EQ(warmed["queued"], 2);
    EXPECT_EQ(warmed["files"][2]["state"], "invalid");
    ASSERT_TRUE(fills->wait_idle(10s));

    auto page = call("/admin/files?limit=1", http::Method::get);
    EXPECT_EQ(out.status, 200);
    ASSERT_EQ(page["files"].size(), 1u);
    EXPECT_EQ(page["files"][0]["name"], "show/ep1.mp3");
    EXPECT_EQ(page["files"][0]["size"], 3);
    EXPECT_EQ(page["files"][0]["key"], "Show/Ep1.mp3");
    EXPECT_TRUE(page["more"].get<bool>());
    EXPECT_EQ(page["next_after"], "show/ep1.mp3");
    page = call("/admin/files?limit=1&after=show/ep1.mp3", http::Method::get);
    EXPECT_EQ(page["files"][0]["name"], "show/ep2.mp3");
    EXPECT_FALSE(page["more"].get<bool>());

    call("/admin/refresh/Show/Ep1.mp3", http::Method::post);
    EXPECT_EQ(out.status, 202);
    ASSERT_TRUE(fills->wait_idle(10s));
    call("/admin/refresh/none.mp3", http::Method::post);
    EXPECT_EQ(out.status, 404);

    auto purged = call("/admin/files/Show/Ep1.mp3", http::Method::del);
    EXPECT_EQ(out.status, 200);
    EXPECT_TRUE(purged["removed"].get<bool>());
    call("/admin/files/Show/Ep1.mp3", http::Method::del);
    EXPECT_EQ(out.status, 404);
    call("/admin/files/a%2F..%2Fb", http::Method::del);
    EXPECT_EQ(out.status, 400);

    call("/admin/files?prefix=", http::Method::del);
    EXPECT_EQ(out.status, 400) << "an empty prefix would purge everything";
    call("/admin/files", http::Method::del);
    EXPECT_EQ(out.status, 400);
    auto prefix = call("/admin/files?prefix=SHOW/", http::Method::del);
    EXPECT_EQ(out.status, 200);
    EXPECT_EQ(prefix["removed"], 1);
    EXPECT_TRUE(call("/admin/files", http::Method::get)["files"].empty());
}

TEST_F(AdminRoutes, ANameGivenTwiceIsOneFillCountedOnce) {
    // Spellings of one cached name: one fill; `queued` counts fills, not lines.
    auto warmed = call("/admin/warm", http::Method::post, R"(["Show/Ep1.mp3", "show/ep1.mp3", "Show/Ep1.mp3"])");
    EXPECT_EQ(out.status, 202);
    EXPECT_EQ(warmed["queued"], 1) << warmed.dump();
    EXPECT_EQ(warmed["files"].size(), 3u);
    ASSERT_TRUE(fills->wait_idle(10s));
}

TEST_F(AdminRoutes, BadInputIs400WithAMessage) {
    auto body = call("/admin/warm", http::Method::post, "{nope");
    EXPECT_EQ(out.status, 400);
    EXPECT_EQ(body["error"], "the body is not valid JSON");
    body = call("/admin/files?limit=5000", http::Method::get);
    EXPECT_EQ(out.status, 400);
    EXPECT_NE(body["error"].get<std::string>().find("limit"), std::string::npos);
}

TEST_F(AdminRoutes, WithoutAnOriginTheApiSays503) {
    http::Request req = test::request("/admin/files");
    req.authorization = authorization;
    const AdminContext ctx{std::string(kToken), nullptr};
    handle_admin(req, req.path(), out, ctx);
    EXPECT_EQ(out.status, 503);
}

TEST_F(AdminRoutes, OnlyAnAuthorisedWarmMayCarryABody) {
    const AdminContext ctx{std::string(kToken), fills.get()};
    http::Request req = test::request("/admin/warm", http::Method::post);
    EXPECT_EQ(admin_max_body(req, ctx), 0u);
    req.authorization = authorization;
    EXPECT_EQ(admin_max_body(req, ctx), kMaxWarmBody);
    req = test::request("/admin/files", http::Method::post);
    req.authorization = authorization;
    EXPECT_EQ(admin_max_body(req, ctx), 0u);
}

TEST_F(AdminRoutes, TheRouterServesAdminOnlyWhenGivenIt) {
    http::Request req = test::request("/admin/files");
    req.authorization = authorization;
    auto without = make_router_factory(RouteOptions{}, cache.path().string(), fills.get())();
    without->handle(req, out);
    EXPECT_EQ(out.status, 404);
    auto ctx = std::make_shared<const AdminContext>(AdminContext{std::string(kToken), fills.get()});
    auto with = make_router_factory(RouteOptions{}, cache.path().string(), fills.get(), ctx)();
    out.reset();
    with->handle(req, out);
    EXPECT_EQ(out.status, 200);
    auto admin_only = make_admin_router_factory(ctx)();
    out.reset();
    admin_only->handle(test::request("/verify/x"), out);
    EXPECT_EQ(out.status, 404) << "the admin listener serves /admin/ only";
    out.reset();
    admin_only->handle(req, out);
    EXPECT_EQ(out.status, 200);
}

}  // namespace
}  // namespace cache_tier::routes
