// Conditional requests, RFC 9110 §13: each precondition header and their order (§13.2.2).
#include "http/conditional.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <ostream>
#include <string>
#include <utility>

namespace cache_tier::http {
namespace {

const std::string kEtag = "\"5f2a-1000\"";
constexpr std::int64_t kMtime = 784111777;              // Sun, 06 Nov 1994 08:49:37 GMT
const std::string kAtMtime = "Sun, 06 Nov 1994 08:49:37 GMT";
const std::string kBefore = "Sun, 06 Nov 1994 08:49:36 GMT";
const std::string kAfter = "Sun, 06 Nov 1994 08:49:38 GMT";
const std::string kAtMtimeRfc850 = "Sunday, 06-Nov-94 08:49:37 GMT";

struct PreconditionCase {
    std::string name;
    Method method = Method::get;
    std::string if_match;
    std::string if_none_match;
    std::string if_modified_since;
    std::string if_unmodified_since;
    Precondition expected = Precondition::proceed;

    // Each row names only the headers it sends.
    PreconditionCase& with_method(Method m) { method = m; return *this; }
    PreconditionCase& match(std::string v) { if_match = std::move(v); return *this; }
    PreconditionCase& none_match(std::string v) { if_none_match = std::move(v); return *this; }
    PreconditionCase& modified_since(std::string v) { if_modified_since = std::move(v); return *this; }
    PreconditionCase& unmodified_since(std::string v) { if_unmodified_since = std::move(v); return *this; }
    PreconditionCase& expect(Precondition p) { expected = p; return *this; }
};

PreconditionCase when(std::string name) {
    PreconditionCase c;
    c.name = std::move(name);
    return c;
}

void PrintTo(const PreconditionCase& c, std::ostream* os) {
    *os << "If-Match: " << c.if_match << " | If-None-Match: " << c.if_none_match
        << " | If-Modified-Since: " << c.if_modified_since << " | If-Unmodified-Since: " << c.if_unmodified_since;
}

// Builds the request once from the case; the views point into the case's strings.
class PreconditionTest : public ::testing::TestWithParam<PreconditionCase> {
protected:
    void SetUp() override {
        const PreconditionCase& c = GetParam();
        request_.method = c.method;
        request_.if_match = c.if_match;
        request_.if_none_match = c.if_none_match;
        request_.if_modified_since = c.if_modified_since;
        request_.if_unmodified_since = c.if_unmodified_since;
    }
    Request request_;
};

TEST_P(PreconditionTest, Evaluates) {
    EXPECT_EQ(static_cast<int>(evaluate_preconditions(request_, kEtag, kMtime)),
              static_cast<int>(GetParam().expected));
}

constexpr auto kProceed = Precondition::proceed;
constexpr auto k304 = Precondition::not_modified;
constexpr auto k412 = Precondition::precondition_failed;

std::string case_name(const ::testing::TestParamInfo<PreconditionCase>& info) { return info.param.name; }

INSTANTIATE_TEST_SUITE_P(NoConditions, PreconditionTest,
                         ::testing::Values(when("Get"),
                                           when("Head").with_method(Method::head)),
                         case_name);

// §13.1.2 If-None-Match: weak comparison; a match is 304 for GET/HEAD, 412 otherwise.
INSTANTIATE_TEST_SUITE_P(
    IfNoneMatch, PreconditionTest,
    ::testing::Values(when("Same").none_match(kEtag).expect(k304),
                      when("SameHead").with_method(Method::head).none_match(kEtag).expect(k304),
                      when("WeakFormMatches").none_match("W/" + kEtag).expect(k304),
                      when("Star").none_match("*").expect(k304),
                      when("InList").none_match("\"a\", " + kEtag + ", \"b\"").expect(k304),
                      when("Different").none_match("\"other\""),
                      when("Unquoted").none_match("5f2a-1000"),
                      when("OtherMethodFails").with_method(Method::other).none_match(kEtag).expect(k412),
                      when("OtherMethodNoMatch").with_method(Method::other).none_match("\"other\"")),
    case_name);

// §13.1.3 If-Modified-Since: 304 when not modified since; ignored when invalid,
// when If-None-Match is present, and for methods other than GET/HEAD.
INSTANTIATE_TEST_SUITE_P(
    IfModifiedSince, PreconditionTest,
    ::testing::Values(when("Equal").modified_since(kAtMtime).expect(k304),
                      when("Later").modified_since(kAfter).expect(k304),
                      when("Earlier").modified_since(kBefore),
                      when("Rfc850Form").modified_since(kAtMtimeRfc850).expect(k304),
                      when("InvalidDateIgnored").modified_since("yesterday"),
                      when("IgnoredWithIfNoneMatch").none_match("\"other\"").modified_since(kAfter),
                      when("IgnoredForOtherMethods").with_method(Method::other).modified_since(kAfter)),
    case_name);

// §13.1.1 If-Match: strong comparison; no match is 412.
INSTANTIATE_TEST_SUITE_P(
    IfMatch, PreconditionTest,
    ::testing::Values(when("Same").match(kEtag),
                      when("Star").match("*"),
                      when("InList").match("\"x\"," + kEtag),
                      when("Different").match("\"other\"").expect(k412),
                      when("WeakNeverMatches").match("W/" + kEtag).expect(k412),
                      when("Garbage").match("garbage").expect(k412)),
    case_name);

// §13.1.4 If-Unmodified-Since: 412 when modified after the date; ignored when invalid.
INSTANTIATE_TEST_SUITE_P(
    IfUnmodifiedSince, PreconditionTest,
    ::testing::Values(when("Equal").unmodified_since(kAtMtime),
                      when("Later").unmodified_since(kAfter),
                      when("Earlier").unmodified_since(kBefore).expect(k412),
                      when("InvalidDateIgnored").unmodified_since("soon")),
    case_name);

// §13.2.2 order: If-Match before If-Unmodified-Since, both before If-None-Match
// and If-Modified-Since.
INSTANTIATE_TEST_SUITE_P(
    Order, PreconditionTest,
    ::testing::Values(
        when("IfMatchWinsOverIfUnmodifiedSince").match(kEtag).unmodified_since(kBefore),
        when("IfMatchFailureBeforeIfNoneMatch").match("\"other\"").none_match(kEtag).expect(k412),
        when("IfUnmodifiedSinceFailureBeforeIfNoneMatch").none_match(kEtag).unmodified_since(kBefore).expect(k412),
        when("IfMatchPassThenIfNoneMatch").match(kEtag).none_match(kEtag).expect(k304),
        when("IfNoneMatchMissThenIfModifiedSinceIgnored").none_match("\"old\"").modified_since(kAtMtime),
        when("IfNoneMatchHitDespiteOldIfModifiedSince").none_match(kEtag).modified_since(kBefore).expect(k304)),
    case_name);

TEST(PreconditionNoRepresentation, StarNeedsAnEtag) {
    Request req;
    req.method = Method::get;
    req.if_none_match = "*";
    EXPECT_EQ(static_cast<int>(evaluate_preconditions(req, "", kMtime)), static_cast<int>(kProceed));
}

struct ListCase {
    std::string name;
    std::string list;
    bool weak;
    bool expected;
};

void PrintTo(const ListCase& c, std::ostream* os) { *os << c.list << (c.weak ? " (weak)" : " (strong)"); }

class EtagListTest : public ::testing::TestWithParam<ListCase> {};

TEST_P(EtagListTest, Matches) {
    EXPECT_EQ(etag_list_matches(GetParam().list, kEtag, GetParam().weak), GetParam().expected);
}

// §8.8.3: entity-tag lists, including commas inside tags and empty elements.
INSTANTIATE_TEST_SUITE_P(
    Lists, EtagListTest,
    ::testing::Values(ListCase{"Exact", kEtag, false, true}, ListCase{"ExactWeakCmp", kEtag, true, true},
                      ListCase{"WeakStrongCmp", "W/" + kEtag, false, false},
                      ListCase{"WeakWeakCmp", "W/" + kEtag, true, true}, ListCase{"Star", "*", false, true},
                      ListCase{"StarWithOws", "  * ", true, true}, ListCase{"StarInListIsNotStar", "\"a\", *", true, false},
                      ListCase{"Empty", "", true, false}, ListCase{"OnlyCommas", " , ,", true, false},
                      ListCase{"Last", "\"a\",\"b\"," + kEtag, false, true},
                      ListCase{"EmptyElements", ",, " + kEtag + " ,", false, true},
                      ListCase{"CommaInsideTag", "\"5f2a,1000\", \"x\"", true, false},
                      ListCase{"CommaInsideTagThenMatch", "\"a,b\", " + kEtag, true, true},
                      ListCase{"Unterminated", "\"5f2a-1000", true, false},
                      ListCase{"UnquotedThenMatch", "abc, " + kEtag, true, true},
                      ListCase{"CaseMatters", "\"5F2A-1000\"", true, false},
                      ListCase{"PrefixOnly", "\"5f2a-100\"", true, false},
                      ListCase{"LowerCaseWeakPrefixIsNotWeak", "w/" + kEtag, true, false}),
    [](const auto& info) { return info.param.name; });

struct IfRangeCase {
    std::string name;
    std::string if_range;
    bool expected;
};

void PrintTo(const IfRangeCase& c, std::ostream* os) { *os << "If-Range: " << c.if_range; }

class IfRangeTest : public ::testing::TestWithParam<IfRangeCase> {};

TEST_P(IfRangeTest, Matches) { EXPECT_EQ(if_range_matches(GetParam().if_range, kEtag, kMtime), GetParam().expected); }

// §13.1.5: strong comparison for entity tags, exact equality for dates.
INSTANTIATE_TEST_SUITE_P(
    Validators, IfRangeTest,
    ::testing::Values(IfRangeCase{"Empty", "", true}, IfRangeCase{"SameEtag", kEtag, true},
                      IfRangeCase{"SameEtagWithOws", " " + kEtag + " ", true},
                      IfRangeCase{"OtherEtag", "\"other\"", false},
                      IfRangeCase{"WeakEtagNeverMatches", "W/" + kEtag, false},
                      IfRangeCase{"ListIsNotAnEtag", kEtag + ", \"x\"", false},
                      IfRangeCase{"SameDate", kAtMtime, true}, IfRangeCase{"SameDateRfc850", kAtMtimeRfc850, true},
                      IfRangeCase{"LaterDate", kAfter, false}, IfRangeCase{"EarlierDate", kBefore, false},
                      IfRangeCase{"InvalidDate", "tomorrow", false}, IfRangeCase{"Star", "*", false}),
    [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace cache_tier::http
