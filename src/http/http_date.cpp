#include "http/http_date.hpp"
#include "http/ows.hpp"

#include <array>
#include <ctime>

// Calendar arithmetic is done here rather than with gmtime/strftime/timegm:
// those depend on the locale or the TZ environment, and strftime-style
// formatting allocates. Civil-date conversion after H. Hinnant's
// "chrono-Compatible Low-Level Date Algorithms" (proleptic Gregorian).

namespace cache_tier::http {
namespace {

constexpr std::int64_t kSecondsPerDay = 86400;

constexpr std::array<std::string_view, 7> kShortDays = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
constexpr std::array<std::string_view, 7> kLongDays = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                                       "Thursday", "Friday", "Saturday"};
constexpr std::array<std::string_view, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

// The formatted year must have exactly four digits (IMF-fixdate is fixed length).
constexpr std::int64_t kFirstFormattable = -62167219200;  // 0000-01-01T00:00:00Z
constexpr std::int64_t kLastFormattable = 253402300799;   // 9999-12-31T23:59:59Z

struct CivilDate {
    std::int64_t year;
    unsigned month;  // 1..12
    unsigned day;    // 1..31
};

constexpr std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
    y -= m <= 2;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const auto yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

constexpr CivilDate civil_from_days(std::int64_t z) {
    z += 719468;
    const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const auto doe = static_cast<unsigned>(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    const unsigned d = doy - (153 * mp + 2) / 5 + 1;
    const unsigned m = mp < 10 ? mp + 3 : mp - 9;
    return {static_cast<std::int64_t>(yoe) + era * 400 + (m <= 2), m, d};
}

static_assert(days_from_civil(1970, 1, 1) == 0);
static_assert(days_from_civil(1994, 11, 6) == 9075);

constexpr bool is_leap(std::int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

constexpr unsigned days_in_month(std::int64_t y, unsigned m) {
    constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : kDays[m - 1];
}

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
    std::int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

// A cursor over the date text; every reader fails (returns false) rather
// than running off the end.
class Reader {
public:
    explicit Reader(std::string_view text) : text_(text) {}

    bool done() const { return pos_ == text_.size(); }

    bool literal(std::string_view expected) {
        if (text_.substr(pos_, expected.size()) != expected) return false;
        pos_ += expected.size();
        return true;
    }

    // Exactly `count` ASCII digits.
    bool digits(unsigned count, unsigned& value) {
        value = 0;
        for (unsigned i = 0; i < count; ++i) {
            if (pos_ >= text_.size() || text_[pos_] < '0' || text_[pos_] > '9') return false;
            value = value * 10 + static_cast<unsigned>(text_[pos_++] - '0');
        }
        return true;
    }

    // One of `names`, case-sensitive (RFC 9110 §5.6.7 uses %s"..." strings).
    template <std::size_t N>
    bool one_of(const std::array<std::string_view, N>& names, unsigned& index) {
        for (unsigned i = 0; i < N; ++i) {
            if (literal(names[i])) {
                index = i;
                return true;
            }
        }
        return false;
    }

    bool month(unsigned& m) {
        if (!one_of(kMonths, m)) return false;
        m += 1;
        return true;
    }

    // time-of-day = hour ":" minute ":" second
    bool time_of_day(unsigned& h, unsigned& min, unsigned& s) {
        return digits(2, h) && literal(":") && digits(2, min) && literal(":") && digits(2, s);
    }

private:
    std::string_view text_;
    std::size_t pos_ = 0;
};

struct Fields {
    std::int64_t year = 0;
    unsigned month = 0, day = 0, hour = 0, minute = 0, second = 0;
};

// IMF-fixdate = day-name "," SP date1 SP time-of-day SP GMT
bool parse_imf_fixdate(std::string_view text, Fields& f) {
    Reader r(text);
    unsigned weekday = 0, year = 0;
    bool ok = r.one_of(kShortDays, weekday) && r.literal(", ") && r.digits(2, f.day) && r.literal(" ") &&
              r.month(f.month) && r.literal(" ") && r.digits(4, year) && r.literal(" ") &&
              r.time_of_day(f.hour, f.minute, f.second) && r.literal(" GMT") && r.done();
    f.year = year;
    return ok;
}

// A two-digit year that "appears to be more than 50 years in the future" is
// the most recent past year with those digits (RFC 9110 §5.6.7).
std::int64_t expand_two_digit_year(unsigned yy) {
    const std::int64_t now_year = civil_from_days(floor_div(std::time(nullptr), kSecondsPerDay)).year;
    std::int64_t year = now_year - now_year % 100 + yy;
    if (year > now_year + 50) year -= 100;
    return year;
}

// rfc850-date = day-name-l "," SP date2 SP time-of-day SP GMT
bool parse_rfc850(std::string_view text, Fields& f) {
    Reader r(text);
    unsigned weekday = 0, yy = 0;
    bool ok = r.one_of(kLongDays, weekday) && r.literal(", ") && r.digits(2, f.day) && r.literal("-") &&
              r.month(f.month) && r.literal("-") && r.digits(2, yy) && r.literal(" ") &&
              r.time_of_day(f.hour, f.minute, f.second) && r.literal(" GMT") && r.done();
    if (ok) f.year = expand_two_digit_year(yy);
    return ok;
}

// asctime-date = day-name SP date3 SP time-of-day SP year, date3 = month SP ( 2DIGIT / ( SP DIGIT ))
bool parse_asctime(std::string_view text, Fields& f) {
    Reader r(text);
    unsigned weekday = 0, year = 0;
    bool ok = r.one_of(kShortDays, weekday) && r.literal(" ") && r.month(f.month) && r.literal(" ");
    ok = ok && (r.literal(" ") ? r.digits(1, f.day) : r.digits(2, f.day));
    ok = ok && r.literal(" ") && r.time_of_day(f.hour, f.minute, f.second) && r.literal(" ") &&
         r.digits(4, year) && r.done();
    f.year = year;
    return ok;
}

bool valid(const Fields& f) {
    // second = 2DIGIT allows 60 for a leap second; it rolls into the next minute.
    return f.month >= 1 && f.month <= 12 && f.day >= 1 && f.day <= days_in_month(f.year, f.month) &&
           f.hour <= 23 && f.minute <= 59 && f.second <= 60;
}

void put2(char* p, unsigned v) {
    p[0] = static_cast<char>('0' + v / 10);
    p[1] = static_cast<char>('0' + v % 10);
}

}  // namespace

std::string format_http_date(std::int64_t seconds) {
    if (seconds < kFirstFormattable) seconds = kFirstFormattable;
    if (seconds > kLastFormattable) seconds = kLastFormattable;
    const std::int64_t days = floor_div(seconds, kSecondsPerDay);
    const auto secs_of_day = static_cast<unsigned>(seconds - days * kSecondsPerDay);
    const CivilDate date = civil_from_days(days);
    // 1970-01-01 was a Thursday.
    const auto weekday = static_cast<unsigned>(((days % 7) + 7 + 4) % 7);

    // "Sun, 06 Nov 1994 08:49:37 GMT"
    char buf[29];
    const std::string_view day_name = kShortDays[weekday];
    const std::string_view month_name = kMonths[date.month - 1];
    buf[0] = day_name[0], buf[1] = day_name[1], buf[2] = day_name[2];
    buf[3] = ',', buf[4] = ' ';
    put2(buf + 5, date.day);
    buf[7] = ' ';
    buf[8] = month_name[0], buf[9] = month_name[1], buf[10] = month_name[2];
    buf[11] = ' ';
    const auto year = static_cast<unsigned>(date.year);
    put2(buf + 12, year / 100);
    put2(buf + 14, year % 100);
    buf[16] = ' ';
    put2(buf + 17, secs_of_day / 3600);
    buf[19] = ':';
    put2(buf + 20, secs_of_day / 60 % 60);
    buf[22] = ':';
    put2(buf + 23, secs_of_day % 60);
    buf[25] = ' ', buf[26] = 'G', buf[27] = 'M', buf[28] = 'T';
    return std::string(buf, sizeof buf);
}

std::optional<std::int64_t> parse_http_date(std::string_view text) {
    // Field values arrive with OWS possibly still around them.
    text = trim_ows(text);

    Fields f;
    if (!parse_imf_fixdate(text, f) && !parse_rfc850(text, f) && !parse_asctime(text, f)) return std::nullopt;
    if (!valid(f)) return std::nullopt;
    // The day-name is not checked against the date: it carries no information
    // and senders that get it wrong still mean the date they wrote.
    return days_from_civil(f.year, f.month, f.day) * kSecondsPerDay + f.hour * 3600 + f.minute * 60 + f.second;
}

}  // namespace cache_tier::http
