// Cron expressions: parsing, errors, next fire times in UTC and in IANA time zones, DST rules.
// Expected instants are computed by hand from the calendar and the zones' published rules.
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "core/cron_zone.hpp"
#include "naq/cron.hpp"
#include "naq/errors.hpp"

namespace {

using std::chrono::system_clock;
using Instant = system_clock::time_point;

int digits(std::string_view text, std::size_t pos, std::size_t count) {
    int value = 0;
    for (std::size_t i = pos; i < pos + count; ++i) {
        if (i >= text.size() || text[i] < '0' || text[i] > '9') {
            throw std::invalid_argument("bad ISO time in test: " + std::string(text));
        }
        value = value * 10 + (text[i] - '0');
    }
    return value;
}

/// "2024-03-31T01:00:00Z", "2024-03-31T03:00:00+02:00" or with ".250" milliseconds.
Instant at(std::string_view iso) {
    using namespace std::chrono;
    const year_month_day date{year{digits(iso, 0, 4)}, month{static_cast<unsigned>(digits(iso, 5, 2))},
                              day{static_cast<unsigned>(digits(iso, 8, 2))}};
    Instant instant =
        sys_days{date} + hours{digits(iso, 11, 2)} + minutes{digits(iso, 14, 2)} + seconds{digits(iso, 17, 2)};
    std::size_t pos = 19;
    if (pos < iso.size() && iso[pos] == '.') {
        instant += milliseconds{digits(iso, pos + 1, 3)};
        pos += 4;
    }
    if (iso.substr(pos) == "Z") return instant;
    const int sign = iso.at(pos) == '-' ? -1 : 1;
    return instant - sign * (hours{digits(iso, pos + 1, 2)} + minutes{digits(iso, pos + 4, 2)});
}

/// UTC ISO form, "YYYY-MM-DDTHH:MM:SSZ".
std::string iso(Instant instant) {
    using namespace std::chrono;
    const auto day = floor<days>(instant);
    const year_month_day date{day};
    const hh_mm_ss time{floor<seconds>(instant - day)};
    char text[32];
    std::snprintf(text, sizeof text, "%04d-%02u-%02uT%02d:%02d:%02dZ", static_cast<int>(date.year()),
                  static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                  static_cast<int>(time.hours().count()), static_cast<int>(time.minutes().count()),
                  static_cast<int>(time.seconds().count()));
    return text;
}

/// The next fire time as a UTC ISO string, "none" if there is none.
std::string next(std::string_view expr, std::string_view after, std::string_view tz = "UTC") {
    const auto fire = naq::CronExpression::parse(expr).next_after(at(after), tz);
    return fire ? iso(*fire) : "none";
}

/// The next `count` fire times, each strictly after the one before.
std::vector<std::string> upcoming(std::string_view expr, std::string_view after, std::size_t count,
                                  std::string_view tz = "UTC") {
    const auto cron = naq::CronExpression::parse(expr);
    std::vector<std::string> fires;
    Instant from = at(after);
    while (fires.size() < count) {
        const auto fire = cron.next_after(from, tz);
        if (!fire) break;
        fires.push_back(iso(*fire));
        from = *fire;
    }
    return fires;
}

/// The message parse() throws for `expr`, or "no error".
std::string parse_error(std::string_view expr) {
    try {
        naq::CronExpression::parse(expr);
    } catch (const naq::InvalidArgument& error) {
        return error.what();
    }
    return "no error";
}

}  // namespace

TEST_CASE("cron: test helpers read and write ISO times", "[cron]") {
    CHECK(iso(at("2024-03-31T01:00:00Z")) == "2024-03-31T01:00:00Z");
    CHECK(iso(at("2024-03-31T03:00:00+02:00")) == "2024-03-31T01:00:00Z");
    CHECK(iso(at("2024-03-10T02:00:00-05:00")) == "2024-03-10T07:00:00Z");
    CHECK(at("2024-01-01T00:00:00.250Z") - at("2024-01-01T00:00:00Z") == std::chrono::milliseconds{250});
}

TEST_CASE("cron: single values, lists and ranges", "[cron]") {
    // 2024-01-01 is a Monday.
    CHECK(next("* * * * *", "2024-01-01T00:00:00Z") == "2024-01-01T00:01:00Z");
    CHECK(next("5 * * * *", "2024-01-01T00:00:00Z") == "2024-01-01T00:05:00Z");
    CHECK(upcoming("5,10 * * * *", "2024-01-01T00:00:00Z", 3) ==
          std::vector<std::string>{"2024-01-01T00:05:00Z", "2024-01-01T00:10:00Z", "2024-01-01T01:05:00Z"});
    CHECK(upcoming("10-12 * * * *", "2024-01-01T00:00:00Z", 4) ==
          std::vector<std::string>{"2024-01-01T00:10:00Z", "2024-01-01T00:11:00Z", "2024-01-01T00:12:00Z",
                                   "2024-01-01T01:10:00Z"});
    CHECK(upcoming("0 9-10,17 * * *", "2024-01-01T00:00:00Z", 4) ==
          std::vector<std::string>{"2024-01-01T09:00:00Z", "2024-01-01T10:00:00Z", "2024-01-01T17:00:00Z",
                                   "2024-01-02T09:00:00Z"});
    CHECK(upcoming("0 0 1,15 * *", "2024-01-01T00:00:00Z", 3) ==
          std::vector<std::string>{"2024-01-15T00:00:00Z", "2024-02-01T00:00:00Z", "2024-02-15T00:00:00Z"});
    CHECK(upcoming("0 0 1 3-4,11 *", "2024-01-01T00:00:00Z", 4) ==
          std::vector<std::string>{"2024-03-01T00:00:00Z", "2024-04-01T00:00:00Z", "2024-11-01T00:00:00Z",
                                   "2025-03-01T00:00:00Z"});
    CHECK(next("59 23 31 12 *", "2024-01-01T00:00:00Z") == "2024-12-31T23:59:00Z");
    CHECK(next("0-59 0-23 1-31 1-12 0-7", "2024-01-01T00:00:00Z") == "2024-01-01T00:01:00Z");
    // Overlapping list items are fine.
    CHECK(upcoming("1,1-2,2 * * * *", "2024-01-01T00:00:00Z", 3) ==
          std::vector<std::string>{"2024-01-01T00:01:00Z", "2024-01-01T00:02:00Z", "2024-01-01T01:01:00Z"});
}

TEST_CASE("cron: steps", "[cron]") {
    CHECK(upcoming("*/20 * * * *", "2024-01-01T00:00:00Z", 3) ==
          std::vector<std::string>{"2024-01-01T00:20:00Z", "2024-01-01T00:40:00Z", "2024-01-01T01:00:00Z"});
    CHECK(upcoming("10-30/10 * * * *", "2024-01-01T00:00:00Z", 4) ==
          std::vector<std::string>{"2024-01-01T00:10:00Z", "2024-01-01T00:20:00Z", "2024-01-01T00:30:00Z",
                                   "2024-01-01T01:10:00Z"});
    SECTION("a/n runs from a to the field's maximum") {
        CHECK(upcoming("50/5 * * * *", "2024-01-01T00:00:00Z", 3) ==
              std::vector<std::string>{"2024-01-01T00:50:00Z", "2024-01-01T00:55:00Z", "2024-01-01T01:50:00Z"});
        CHECK(upcoming("0 0 25/3 * *", "2024-01-01T00:00:00Z", 3) ==
              std::vector<std::string>{"2024-01-25T00:00:00Z", "2024-01-28T00:00:00Z", "2024-01-31T00:00:00Z"});
    }
    CHECK(upcoming("0 */6 * * *", "2024-01-01T00:00:00Z", 4) ==
          std::vector<std::string>{"2024-01-01T06:00:00Z", "2024-01-01T12:00:00Z", "2024-01-01T18:00:00Z",
                                   "2024-01-02T00:00:00Z"});
    // A step range not divisible by the step stops at the last value it reaches: 1, 4, 7.
    CHECK(upcoming("1-8/3 * * * *", "2024-01-01T00:00:00Z", 4) ==
          std::vector<std::string>{"2024-01-01T00:01:00Z", "2024-01-01T00:04:00Z", "2024-01-01T00:07:00Z",
                                   "2024-01-01T01:01:00Z"});
    // Months count from 1: */4 is January, May, September.
    CHECK(upcoming("0 0 1 */4 *", "2024-01-01T00:00:00Z", 3) ==
          std::vector<std::string>{"2024-05-01T00:00:00Z", "2024-09-01T00:00:00Z", "2025-01-01T00:00:00Z"});
    // The largest step allowed is the field's size: */60 is minute 0 only.
    CHECK(next("*/60 * * * *", "2024-01-01T00:00:00Z") == "2024-01-01T01:00:00Z");
    CHECK(next("*/1 * * * *", "2024-01-01T00:00:00Z") == "2024-01-01T00:01:00Z");
}

TEST_CASE("cron: month and weekday names, case-insensitive", "[cron]") {
    CHECK(upcoming("0 0 1 jan,Mar *", "2024-01-01T00:00:00Z", 2) ==
          std::vector<std::string>{"2024-03-01T00:00:00Z", "2025-01-01T00:00:00Z"});
    CHECK(upcoming("0 0 1 FEB-apr *", "2024-01-01T00:00:00Z", 4) ==
          std::vector<std::string>{"2024-02-01T00:00:00Z", "2024-03-01T00:00:00Z", "2024-04-01T00:00:00Z",
                                   "2025-02-01T00:00:00Z"});
    CHECK(next("0 0 1 DEC *", "2024-01-01T00:00:00Z") == "2024-12-01T00:00:00Z");
    CHECK(next("0 0 1 jan-dec/6 *", "2024-01-01T00:00:00Z") == "2024-07-01T00:00:00Z");

    const std::vector<std::string> weekdays{"2024-01-02T00:00:00Z", "2024-01-03T00:00:00Z", "2024-01-04T00:00:00Z",
                                            "2024-01-05T00:00:00Z", "2024-01-08T00:00:00Z"};
    CHECK(upcoming("0 0 * * MON-FRI", "2024-01-01T00:00:00Z", 5) == weekdays);
    CHECK(upcoming("0 0 * * mon-fri", "2024-01-01T00:00:00Z", 5) == weekdays);
    CHECK(upcoming("0 0 * * 1-5", "2024-01-01T00:00:00Z", 5) == weekdays);
    CHECK(upcoming("0 0 * * Tue,wed,THU,fri,MON", "2024-01-01T00:00:00Z", 5) == weekdays);
    CHECK(next("0 0 * * SAT", "2024-01-01T00:00:00Z") == "2024-01-06T00:00:00Z");
}

TEST_CASE("cron: Sunday is 0, 7 and SUN, SUN ends a range as 7", "[cron]") {
    for (const char* expr : {"0 0 * * 0", "0 0 * * 7", "0 0 * * SUN", "0 0 * * sun"}) {
        INFO(expr);
        CHECK(upcoming(expr, "2024-01-01T00:00:00Z", 2) ==
              std::vector<std::string>{"2024-01-07T00:00:00Z", "2024-01-14T00:00:00Z"});
    }
    const std::vector<std::string> weekend{"2024-01-05T00:00:00Z", "2024-01-06T00:00:00Z", "2024-01-07T00:00:00Z",
                                           "2024-01-12T00:00:00Z"};
    CHECK(upcoming("0 0 * * FRI-SUN", "2024-01-01T00:00:00Z", 4) == weekend);
    CHECK(upcoming("0 0 * * 5-7", "2024-01-01T00:00:00Z", 4) == weekend);
    CHECK(upcoming("0 0 * * SUN-SUN", "2024-01-01T00:00:00Z", 1) == std::vector<std::string>{"2024-01-07T00:00:00Z"});
    // */2 over 0-7 is 0, 2, 4, 6 (7 = 0 again).
    CHECK(upcoming("0 0 * * */2", "2024-01-01T00:00:00Z", 4) ==
          std::vector<std::string>{"2024-01-02T00:00:00Z", "2024-01-04T00:00:00Z", "2024-01-06T00:00:00Z",
                                   "2024-01-07T00:00:00Z"});
}

TEST_CASE("cron: six fields have seconds first, five fire at second 0", "[cron]") {
    const auto with_seconds = naq::CronExpression::parse("*/15 * * * * *");
    CHECK(with_seconds.has_seconds());
    CHECK_FALSE(naq::CronExpression::parse("* * * * *").has_seconds());
    CHECK(upcoming("*/15 * * * * *", "2024-01-01T00:00:00Z", 4) ==
          std::vector<std::string>{"2024-01-01T00:00:15Z", "2024-01-01T00:00:30Z", "2024-01-01T00:00:45Z",
                                   "2024-01-01T00:01:00Z"});
    CHECK(next("30 0 12 * * *", "2024-01-01T00:00:00Z") == "2024-01-01T12:00:30Z");
    CHECK(next("* * * * * *", "2024-01-01T00:00:00Z") == "2024-01-01T00:00:01Z");
    CHECK(next("59 59 23 31 12 *", "2024-01-01T00:00:00Z") == "2024-12-31T23:59:59Z");
    CHECK(next("0,30 * * * * MON", "2024-01-01T23:59:30Z") == "2024-01-08T00:00:00Z");
    CHECK(next("10 * * * *", "2024-01-01T00:09:59Z") == "2024-01-01T00:10:00Z");
}

TEST_CASE("cron: macros", "[cron]") {
    const char* after = "2024-01-01T00:00:00Z";  // a Monday
    CHECK(next("@yearly", after) == "2025-01-01T00:00:00Z");
    CHECK(next("@annually", after) == "2025-01-01T00:00:00Z");
    CHECK(next("@monthly", after) == "2024-02-01T00:00:00Z");
    CHECK(next("@weekly", after) == "2024-01-07T00:00:00Z");
    CHECK(next("@daily", after) == "2024-01-02T00:00:00Z");
    CHECK(next("@midnight", after) == "2024-01-02T00:00:00Z");
    CHECK(next("@hourly", after) == "2024-01-01T01:00:00Z");
    CHECK(next("@Daily", after) == "2024-01-02T00:00:00Z");

    const auto macro = naq::CronExpression::parse("  @hourly\t");
    CHECK(macro.text() == "@hourly");
    CHECK_FALSE(macro.has_seconds());

    CHECK(parse_error("@reboot") ==
          "cron \"@reboot\": @reboot is not supported: the scheduler fires at times, not at "
          "startup");
    CHECK(parse_error("@often") ==
          "cron \"@often\": unknown macro \"@often\" (expected @yearly, @annually, @monthly, "
          "@weekly, @daily, @midnight or @hourly)");
    CHECK(parse_error("@daily 5") == "cron \"@daily 5\": a macro must be the whole expression");
    CHECK(parse_error("@") != "no error");
}

TEST_CASE("cron: whitespace between and around fields is tolerated", "[cron]") {
    const auto cron = naq::CronExpression::parse("  0\t 9   *  * \t MON  ");
    CHECK(cron.text() == "0\t 9   *  * \t MON");
    CHECK(iso(*cron.next_after(at("2024-01-01T00:00:00Z"))) == "2024-01-01T09:00:00Z");
    CHECK(next("\n*/30 * * * *\n", "2024-01-01T00:00:00Z") == "2024-01-01T00:30:00Z");
}

TEST_CASE("cron: day-of-month and day-of-week follow Vixie cron", "[cron]") {
    // 2024-01-13 is a Saturday, 2024-01-05 a Friday.
    SECTION("both restricted: a day matching either fires") {
        CHECK(upcoming("0 0 13 * FRI", "2024-01-01T00:00:00Z", 5) ==
              std::vector<std::string>{"2024-01-05T00:00:00Z", "2024-01-12T00:00:00Z", "2024-01-13T00:00:00Z",
                                       "2024-01-19T00:00:00Z", "2024-01-26T00:00:00Z"});
        // 1-31 is a restriction (it does not start with '*'), so every day matches.
        CHECK(upcoming("0 0 1-31 * FRI", "2024-01-01T00:00:00Z", 2) ==
              std::vector<std::string>{"2024-01-02T00:00:00Z", "2024-01-03T00:00:00Z"});
        // February 29 or any Monday in February.
        CHECK(upcoming("0 0 29 2 MON", "2024-02-20T00:00:00Z", 2) ==
              std::vector<std::string>{"2024-02-26T00:00:00Z", "2024-02-29T00:00:00Z"});
    }
    SECTION("day-of-month '*': only the weekday decides") {
        CHECK(upcoming("0 0 * * FRI", "2024-01-01T00:00:00Z", 3) ==
              std::vector<std::string>{"2024-01-05T00:00:00Z", "2024-01-12T00:00:00Z", "2024-01-19T00:00:00Z"});
    }
    SECTION("day-of-week '*': only the day of the month decides") {
        CHECK(upcoming("0 0 13 * *", "2024-01-01T00:00:00Z", 2) ==
              std::vector<std::string>{"2024-01-13T00:00:00Z", "2024-02-13T00:00:00Z"});
        CHECK(upcoming("0 0 13 * */1", "2024-01-01T00:00:00Z", 2) ==
              std::vector<std::string>{"2024-01-13T00:00:00Z", "2024-02-13T00:00:00Z"});
    }
    SECTION("a field starting with '*' makes the two fields combine with AND") {
        // Odd days of the month that are Fridays: Jan 5, Jan 19, Feb 9 (Jan 12, 26, Feb 2 are
        // even).
        CHECK(upcoming("0 0 */2 * FRI", "2024-01-01T00:00:00Z", 3) ==
              std::vector<std::string>{"2024-01-05T00:00:00Z", "2024-01-19T00:00:00Z", "2024-02-09T00:00:00Z"});
        // "*/1" starts with '*', so it combines with AND: days 1-7, whatever the weekday.
        CHECK(upcoming("0 0 1-7 * */1", "2024-01-01T00:00:00Z", 2) ==
              std::vector<std::string>{"2024-01-02T00:00:00Z", "2024-01-03T00:00:00Z"});
    }
}

TEST_CASE("cron: month ends and leap years", "[cron]") {
    CHECK(upcoming("0 0 31 * *", "2024-01-31T00:00:00Z", 4) ==
          std::vector<std::string>{"2024-03-31T00:00:00Z", "2024-05-31T00:00:00Z", "2024-07-31T00:00:00Z",
                                   "2024-08-31T00:00:00Z"});
    CHECK(upcoming("0 0 28-31 2 *", "2023-02-01T00:00:00Z", 4) ==
          std::vector<std::string>{"2023-02-28T00:00:00Z", "2024-02-28T00:00:00Z", "2024-02-29T00:00:00Z",
                                   "2025-02-28T00:00:00Z"});
    SECTION("February 29 waits for the next leap year") {
        CHECK(next("0 0 29 2 *", "2024-03-01T00:00:00Z") == "2028-02-29T00:00:00Z");
        CHECK(next("0 12 29 FEB *", "2024-02-29T12:00:00Z") == "2028-02-29T12:00:00Z");
        CHECK(next("0 0 29 2 *", "2023-06-15T08:00:00Z") == "2024-02-29T00:00:00Z");
        // 2100 is not a leap year: eight years from 2096 to 2104.
        CHECK(next("0 0 29 2 *", "2096-03-01T00:00:00Z") == "2104-02-29T00:00:00Z");
    }
    SECTION("dates that never exist never fire") {
        CHECK(next("0 0 30 2 *", "2024-01-01T00:00:00Z") == "none");
        CHECK(next("0 0 31 2 *", "2024-01-01T00:00:00Z") == "none");
        CHECK(next("0 0 31 4,6,9,11 *", "2024-01-01T00:00:00Z") == "none");
        CHECK(next("0 0 30,31 FEB *", "2024-01-01T00:00:00Z", "Europe/Berlin") == "none");
        // With a restricted weekday the OR rule still fires on that weekday (Mondays in February).
        CHECK(next("0 0 30 2 MON", "2024-01-01T00:00:00Z") == "2024-02-05T00:00:00Z");
    }
    SECTION("year ends") {
        CHECK(next("0 0 1 1 *", "2024-12-31T23:59:59Z") == "2025-01-01T00:00:00Z");
        CHECK(next("59 23 31 12 *", "2024-12-31T23:59:00Z") == "2025-12-31T23:59:00Z");
        CHECK(next("* * * * *", "2024-12-31T23:59:00Z") == "2025-01-01T00:00:00Z");
    }
}

TEST_CASE("cron: the next fire time is strictly after the given instant", "[cron]") {
    CHECK(next("0 12 * * *", "2024-01-01T12:00:00Z") == "2024-01-02T12:00:00Z");
    CHECK(next("0 12 * * *", "2024-01-01T11:59:59.999Z") == "2024-01-01T12:00:00Z");
    CHECK(next("0 12 * * *", "2024-01-01T12:00:00.001Z") == "2024-01-02T12:00:00Z");
    CHECK(next("* * * * * *", "2024-01-01T00:00:00.500Z") == "2024-01-01T00:00:01Z");
    CHECK(next("* * * * * *", "2024-01-01T00:00:00Z") == "2024-01-01T00:00:01Z");
    CHECK(next("@yearly", "2024-12-31T23:59:59.999Z") == "2025-01-01T00:00:00Z");
    CHECK(next("@yearly", "2025-01-01T00:00:00Z") == "2026-01-01T00:00:00Z");
    // Before the epoch works too.
    CHECK(next("0 0 1 1 *", "1969-06-01T00:00:00Z") == "1970-01-01T00:00:00Z");
}

TEST_CASE("cron: parse errors name the field and the bad token", "[cron]") {
    SECTION("out-of-range values, one per field") {
        CHECK(parse_error("61 * * * *") == "cron \"61 * * * *\": minute: 61 is out of range 0-59");
        CHECK(parse_error("60 * * * * *") == "cron \"60 * * * * *\": second: 60 is out of range 0-59");
        CHECK(parse_error("* 24 * * *") == "cron \"* 24 * * *\": hour: 24 is out of range 0-23");
        CHECK(parse_error("* * 0 * *") == "cron \"* * 0 * *\": day-of-month: 0 is out of range 1-31");
        CHECK(parse_error("* * 32 * *") == "cron \"* * 32 * *\": day-of-month: 32 is out of range 1-31");
        CHECK(parse_error("* * * 0 *") == "cron \"* * * 0 *\": month: 0 is out of range 1-12");
        CHECK(parse_error("* * * 13 *") == "cron \"* * * 13 *\": month: 13 is out of range 1-12");
        CHECK(parse_error("* * * * 8") == "cron \"* * * * 8\": day-of-week: 8 is out of range 0-7");
        CHECK(parse_error("1-60 * * * *") == "cron \"1-60 * * * *\": minute: 60 is out of range 0-59");
        CHECK(parse_error("99999999999999 * * * *") ==
              "cron \"99999999999999 * * * *\": minute: 99999999999999 is out of range 0-59");
        CHECK(parse_error("* * * * * 8") == "cron \"* * * * * 8\": day-of-week: 8 is out of range 0-7");
    }
    SECTION("wrong number of fields") {
        const std::string expected =
            ": expected 5 fields (minute hour day-of-month month "
            "day-of-week) or 6 (second first), got ";
        CHECK(parse_error("* * * *") == "cron \"* * * *\"" + expected + "4");
        CHECK(parse_error("* * * * * * *") == "cron \"* * * * * * *\"" + expected + "7");
        CHECK(parse_error("*") == "cron \"*\"" + expected + "1");
        CHECK(parse_error("") == "cron \"\": the expression is empty");
        CHECK(parse_error("   \t ") == "cron \"\": the expression is empty");
    }
    SECTION("empty list items") {
        CHECK(parse_error("1,,2 * * * *") == "cron \"1,,2 * * * *\": minute: empty list item in \"1,,2\"");
        CHECK(parse_error("* ,1 * * *") == "cron \"* ,1 * * *\": hour: empty list item in \",1\"");
        CHECK(parse_error("* * * 1, *") == "cron \"* * * 1, *\": month: empty list item in \"1,\"");
        CHECK(parse_error("* * * * ,") == "cron \"* * * * ,\": day-of-week: empty list item in \",\"");
    }
    SECTION("reversed and incomplete ranges") {
        CHECK(parse_error("5-1 * * * *") ==
              "cron \"5-1 * * * *\": minute: range 5-1 is reversed (the start must not exceed "
              "the end)");
        CHECK(parse_error("* * * DEC-JAN *") ==
              "cron \"* * * DEC-JAN *\": month: range DEC-JAN is reversed (the start must not "
              "exceed the end)");
        CHECK(parse_error("* * * * 5-0") ==
              "cron \"* * * * 5-0\": day-of-week: range 5-0 is reversed (the start must not "
              "exceed the end)");
        CHECK(parse_error("* 1- * * *") == "cron \"* 1- * * *\": hour: incomplete range \"1-\"");
        CHECK(parse_error("* * -1 * *") == "cron \"* * -1 * *\": day-of-month: incomplete range \"-1\"");
        CHECK(parse_error("1-2-3 * * * *") == "cron \"1-2-3 * * * *\": minute: \"2-3\" is not a number");
    }
    SECTION("bad steps") {
        CHECK(parse_error("*/0 * * * *") == "cron \"*/0 * * * *\": minute: step 0 in \"*/0\" must be at least 1");
        CHECK(parse_error("* 1-5/0 * * *") == "cron \"* 1-5/0 * * *\": hour: step 0 in \"1-5/0\" must be at least 1");
        CHECK(parse_error("*/61 * * * *") == "cron \"*/61 * * * *\": minute: step 61 in \"*/61\" is out of range 1-60");
        CHECK(parse_error("* * * */13 *") == "cron \"* * * */13 *\": month: step 13 in \"*/13\" is out of range 1-12");
        CHECK(parse_error("*/ * * * *") == "cron \"*/ * * * *\": minute: missing step after '/' in \"*/\"");
        CHECK(parse_error("/5 * * * *") == "cron \"/5 * * * *\": minute: missing value before '/' in \"/5\"");
        CHECK(parse_error("*/x * * * *") == "cron \"*/x * * * *\": minute: step \"x\" in \"*/x\" is not a number");
        CHECK(parse_error("1/2/3 * * * *") ==
              "cron \"1/2/3 * * * *\": minute: step \"2/3\" in \"1/2/3\" is not a number");
        CHECK(parse_error("*/-1 * * * *") == "cron \"*/-1 * * * *\": minute: step \"-1\" in \"*/-1\" is not a number");
    }
    SECTION("garbage") {
        CHECK(parse_error("abc * * * *") == "cron \"abc * * * *\": minute: \"abc\" is not a number");
        CHECK(parse_error("1x * * * *") == "cron \"1x * * * *\": minute: \"1x\" is not a number");
        CHECK(parse_error("MON * * * *") == "cron \"MON * * * *\": minute: \"MON\" is not a number");
        CHECK(parse_error("* * * JANUARY *") ==
              "cron \"* * * JANUARY *\": month: \"JANUARY\" is not a month (1-12 or JAN-DEC)");
        CHECK(parse_error("* * * MON *") == "cron \"* * * MON *\": month: \"MON\" is not a month (1-12 or JAN-DEC)");
        CHECK(parse_error("* * * * JAN") ==
              "cron \"* * * * JAN\": day-of-week: \"JAN\" is not a day of the week (0-7 or "
              "SUN-SAT)");
        CHECK(parse_error("* * ? * *") == "cron \"* * ? * *\": day-of-month: \"?\" is not a number");
        CHECK(parse_error("* * L * *") == "cron \"* * L * *\": day-of-month: \"L\" is not a number");
        CHECK(parse_error("* * * * 5#3") ==
              "cron \"* * * * 5#3\": day-of-week: \"5#3\" is not a day of the week (0-7 or "
              "SUN-SAT)");
        CHECK(parse_error("** * * * *") == "cron \"** * * * *\": minute: \"**\" is not a number");
        CHECK(parse_error("*-5 * * * *") == "cron \"*-5 * * * *\": minute: \"*\" is not a number");
        CHECK(parse_error("+5 * * * *") == "cron \"+5 * * * *\": minute: \"+5\" is not a number");
        CHECK(parse_error("x * * * * *") == "cron \"x * * * * *\": second: \"x\" is not a number");
    }
    SECTION("errors are InvalidArgument, a naq::Error") {
        CHECK_THROWS_AS(naq::CronExpression::parse("61 * * * *"), naq::InvalidArgument);
        CHECK_THROWS_AS(naq::CronExpression::parse("@reboot"), naq::Error);
    }
}

TEST_CASE("cron: schedules are evaluated in the given time zone", "[cron]") {
    SECTION("Europe/Berlin, UTC+1 in winter and UTC+2 in summer") {
        CHECK(next("0 9 * * MON", "2024-01-01T00:00:00Z", "Europe/Berlin") == "2024-01-01T08:00:00Z");
        CHECK(next("0 9 * * MON", "2024-07-01T00:00:00Z", "Europe/Berlin") == "2024-07-01T07:00:00Z");
        // Local midnight: the weekday and date are Berlin's, not UTC's.
        CHECK(next("0 0 * * TUE", "2024-01-01T00:00:00Z", "Europe/Berlin") == "2024-01-01T23:00:00Z");
        CHECK(next("@yearly", "2024-06-01T00:00:00Z", "Europe/Berlin") == "2024-12-31T23:00:00Z");
    }
    SECTION("America/New_York, UTC-5 in winter and UTC-4 in summer") {
        CHECK(next("0 9 * * *", "2024-01-01T00:00:00Z", "America/New_York") == "2024-01-01T14:00:00Z");
        CHECK(next("0 9 * * *", "2024-07-01T00:00:00Z", "America/New_York") == "2024-07-01T13:00:00Z");
        // 2024-01-01T00:00Z is Sunday 2023-12-31 19:00 in New York; 23:00 that Sunday is
        // Monday 04:00 UTC.
        CHECK(next("0 23 * * SUN", "2024-01-01T00:00:00Z", "America/New_York") == "2024-01-01T04:00:00Z");
        CHECK(next("0 23 * * SUN", "2024-01-01T04:00:00Z", "America/New_York") == "2024-01-08T04:00:00Z");
    }
    SECTION("half- and quarter-hour offsets") {
        CHECK(next("30 9 * * *", "2024-01-01T00:00:00Z", "Asia/Kolkata") == "2024-01-01T04:00:00Z");
        CHECK(next("0 0 * * *", "2024-01-01T00:00:00Z", "Asia/Kolkata") == "2024-01-01T18:30:00Z");
        CHECK(next("0 * * * *", "2024-01-01T00:00:00Z", "Asia/Kolkata") == "2024-01-01T00:30:00Z");
        CHECK(next("0 0 * * *", "2024-01-01T00:00:00Z", "Asia/Kathmandu") == "2024-01-01T18:15:00Z");
    }
    SECTION("\"\", \"UTC\" and Etc/UTC are UTC") {
        for (const char* tz : {"", "UTC", "Etc/UTC"}) {
            INFO(tz);
            CHECK(next("0 9 * * MON", "2024-01-01T00:00:00Z", tz) == "2024-01-01T09:00:00Z");
        }
    }
    SECTION("unknown zones are rejected") {
        const auto cron = naq::CronExpression::parse("* * * * *");
        CHECK_THROWS_WITH(cron.next_after(at("2024-01-01T00:00:00Z"), "Mars/Olympus_Mons"),
                          "unknown time zone 'Mars/Olympus_Mons'");
        CHECK_THROWS_AS(cron.next_after(at("2024-01-01T00:00:00Z"), "europe/berlin"), naq::InvalidArgument);
        CHECK_THROWS_WITH(naq::check_time_zone("Europe/Atlantis"), "unknown time zone 'Europe/Atlantis'");
        CHECK_THROWS_AS(naq::check_time_zone("Europe"), naq::InvalidArgument);
        CHECK_THROWS_AS(naq::check_time_zone("utc"), naq::InvalidArgument);
        CHECK_NOTHROW(naq::check_time_zone(""));
        CHECK_NOTHROW(naq::check_time_zone("UTC"));
        CHECK_NOTHROW(naq::check_time_zone("Europe/Berlin"));
        CHECK_NOTHROW(naq::check_time_zone("America/New_York"));
    }
}

TEST_CASE("cron: DST in Europe/Berlin", "[cron]") {
    const char* tz = "Europe/Berlin";
    // 2024-03-31: at 01:00 UTC clocks jump from 02:00 CET to 03:00 CEST.
    SECTION("a skipped local time fires once, when the gap ends") {
        CHECK(upcoming("30 2 * * *", "2024-03-30T12:00:00Z", 2, tz) ==
              std::vector<std::string>{"2024-03-31T01:00:00Z", "2024-04-01T00:30:00Z"});
        CHECK(next("0 2 * * *", "2024-03-30T12:00:00Z", tz) == "2024-03-31T01:00:00Z");
        CHECK(next("59 59 2 * * *", "2024-03-30T12:00:00Z", tz) == "2024-03-31T01:00:00Z");
        // 02:00-02:45 all collapse onto 03:00 CEST, which is also a fire time: one fire.
        CHECK(upcoming("*/15 * * * *", "2024-03-31T00:40:00Z", 3, tz) ==
              std::vector<std::string>{"2024-03-31T00:45:00Z", "2024-03-31T01:00:00Z", "2024-03-31T01:15:00Z"});
        CHECK(upcoming("0 * * * *", "2024-03-30T23:30:00Z", 2, tz) ==
              std::vector<std::string>{"2024-03-31T00:00:00Z", "2024-03-31T01:00:00Z"});
        CHECK(next("0 3 * * *", "2024-03-30T12:00:00Z", tz) == "2024-03-31T01:00:00Z");
        CHECK(next("0 1 * * *", "2024-03-30T12:00:00Z", tz) == "2024-03-31T00:00:00Z");
    }
    // 2024-10-27: at 01:00 UTC clocks fall back from 03:00 CEST to 02:00 CET, so 02:00-02:59
    // happens twice: 00:00-00:59 UTC (CEST) and 01:00-01:59 UTC (CET).
    SECTION("a repeated local time fires once, at its first occurrence") {
        CHECK(upcoming("30 2 * * *", "2024-10-26T12:00:00Z", 2, tz) ==
              std::vector<std::string>{"2024-10-27T00:30:00Z", "2024-10-28T01:30:00Z"});
        CHECK(upcoming("*/30 * * * *", "2024-10-26T23:45:00Z", 3, tz) ==
              std::vector<std::string>{"2024-10-27T00:00:00Z", "2024-10-27T00:30:00Z", "2024-10-27T02:00:00Z"});
        CHECK(upcoming("0 * * * *", "2024-10-26T23:30:00Z", 2, tz) ==
              std::vector<std::string>{"2024-10-27T00:00:00Z", "2024-10-27T02:00:00Z"});
        // From inside the second pass, the repeated times have already fired.
        CHECK(next("*/30 * * * *", "2024-10-27T01:15:00Z", tz) == "2024-10-27T02:00:00Z");
        CHECK(next("30 2 * * *", "2024-10-27T01:15:00Z", tz) == "2024-10-28T01:30:00Z");
        CHECK(next("30 2 * * *", "2024-10-27T00:30:00Z", tz) == "2024-10-28T01:30:00Z");
        CHECK(next("30 2 * * *", "2024-10-27T00:29:59Z", tz) == "2024-10-27T00:30:00Z");
        // Even every-second and every-minute schedules pause for the second pass.
        CHECK(next("* * * * * *", "2024-10-27T01:15:00Z", tz) == "2024-10-27T02:00:00Z");
        CHECK(upcoming("* * * * *", "2024-10-27T00:58:30Z", 3, tz) ==
              std::vector<std::string>{"2024-10-27T00:59:00Z", "2024-10-27T02:00:00Z", "2024-10-27T02:01:00Z"});
        CHECK(next("* * * * * *", "2024-10-27T01:59:59Z", tz) == "2024-10-27T02:00:00Z");
        // Times on either side of the overlap are unaffected.
        CHECK(next("0 1 * * *", "2024-10-26T12:00:00Z", tz) == "2024-10-26T23:00:00Z");
        CHECK(next("0 3 * * *", "2024-10-26T12:00:00Z", tz) == "2024-10-27T02:00:00Z");
        CHECK(next("59 59 2 * * *", "2024-10-26T12:00:00Z", tz) == "2024-10-27T00:59:59Z");
    }
}

TEST_CASE("cron: DST in America/New_York", "[cron]") {
    const char* tz = "America/New_York";
    // 2024-03-10: at 07:00 UTC clocks jump from 02:00 EST to 03:00 EDT.
    CHECK(upcoming("30 2 * * *", "2024-03-09T12:00:00Z", 2, tz) ==
          std::vector<std::string>{"2024-03-10T07:00:00Z", "2024-03-11T06:30:00Z"});
    CHECK(upcoming("*/20 * * * *", "2024-03-10T06:30:00Z", 3, tz) ==
          std::vector<std::string>{"2024-03-10T06:40:00Z", "2024-03-10T07:00:00Z", "2024-03-10T07:20:00Z"});
    // 2024-11-03: at 06:00 UTC clocks fall back from 02:00 EDT to 01:00 EST, so 01:00-01:59
    // happens at 05:00-05:59 UTC (EDT) and again at 06:00-06:59 UTC (EST).
    CHECK(upcoming("30 1 * * *", "2024-11-02T12:00:00Z", 2, tz) ==
          std::vector<std::string>{"2024-11-03T05:30:00Z", "2024-11-04T06:30:00Z"});
    CHECK(next("30 1 * * *", "2024-11-03T06:10:00Z", tz) == "2024-11-04T06:30:00Z");
    CHECK(next("0 2 * * *", "2024-11-02T12:00:00Z", tz) == "2024-11-03T07:00:00Z");
    CHECK(upcoming("0 * * * *", "2024-11-03T04:30:00Z", 3, tz) ==
          std::vector<std::string>{"2024-11-03T05:00:00Z", "2024-11-03T07:00:00Z", "2024-11-03T08:00:00Z"});
}

TEST_CASE("cron: DST rules keep applying after 2037", "[cron]") {
    // Zone files list transitions up to 2037 only; later years come from their footer rule.
    // 2040: Berlin switches on March 25 and October 28 (last Sundays), at 01:00 UTC.
    CHECK(next("0 9 * * *", "2040-07-01T00:00:00Z", "Europe/Berlin") == "2040-07-01T07:00:00Z");
    CHECK(next("0 9 * * *", "2040-12-01T00:00:00Z", "Europe/Berlin") == "2040-12-01T08:00:00Z");
    CHECK(next("30 2 * * *", "2040-03-24T12:00:00Z", "Europe/Berlin") == "2040-03-25T01:00:00Z");
    CHECK(upcoming("30 2 * * *", "2040-10-27T12:00:00Z", 2, "Europe/Berlin") ==
          std::vector<std::string>{"2040-10-28T00:30:00Z", "2040-10-29T01:30:00Z"});
    // 2050: New York switches on March 13 (07:00 UTC) and November 6 (06:00 UTC).
    CHECK(next("30 2 * * *", "2050-03-12T12:00:00Z", "America/New_York") == "2050-03-13T07:00:00Z");
    CHECK(upcoming("30 1 * * *", "2050-11-05T12:00:00Z", 2, "America/New_York") ==
          std::vector<std::string>{"2050-11-06T05:30:00Z", "2050-11-07T06:30:00Z"});
    // Beyond 2100, when the 28-year calendar cycle breaks: 2104-03-30 is the last Sunday.
    CHECK(next("30 2 * * *", "2104-03-29T12:00:00Z", "Europe/Berlin") == "2104-03-30T01:00:00Z");
    // Zones without DST stay put.
    CHECK(next("30 9 * * *", "2060-01-01T00:00:00Z", "Asia/Kolkata") == "2060-01-01T04:00:00Z");
}

TEST_CASE("cron: POSIX TZ footer rules parse", "[cron]") {
    using naq::detail::parse_posix_time_zone;
    using namespace std::chrono_literals;
    using Kind = naq::detail::PosixTimeZone::DayRule::Kind;

    const auto berlin = parse_posix_time_zone("CET-1CEST,M3.5.0,M10.5.0/3");
    REQUIRE(berlin);
    CHECK(berlin->standard_offset == 1h);
    REQUIRE(berlin->daylight_saving);
    CHECK(berlin->daylight_saving->offset == 2h);
    CHECK(berlin->daylight_saving->start.kind == Kind::month_week_day);
    CHECK(berlin->daylight_saving->start.month == 3);
    CHECK(berlin->daylight_saving->start.week == 5);
    CHECK(berlin->daylight_saving->start.weekday == 0);
    CHECK(berlin->daylight_saving->start_time == 2h);
    CHECK(berlin->daylight_saving->end_time == 3h);

    const auto kolkata = parse_posix_time_zone("IST-5:30");
    REQUIRE(kolkata);
    CHECK(kolkata->standard_offset == 5h + 30min);
    CHECK_FALSE(kolkata->daylight_saving);

    const auto quoted = parse_posix_time_zone("<+0545>-5:45");
    REQUIRE(quoted);
    CHECK(quoted->standard_offset == 5h + 45min);

    const auto new_york = parse_posix_time_zone("EST5EDT,M3.2.0,M11.1.0");
    REQUIRE(new_york);
    CHECK(new_york->standard_offset == -5h);
    CHECK(new_york->daylight_saving->offset == -4h);

    const auto nuuk = parse_posix_time_zone("<-02>2<-01>,M3.5.0/-1,M10.5.0/0");
    REQUIRE(nuuk);
    CHECK(nuuk->daylight_saving->start_time == -1h);

    const auto jerusalem = parse_posix_time_zone("IST-2IDT,M3.4.4/26,M10.5.0");
    REQUIRE(jerusalem);
    CHECK(jerusalem->daylight_saving->start_time == 26h);

    const auto julian = parse_posix_time_zone("EST5EDT4,J60/2:30:15,300");
    REQUIRE(julian);
    CHECK(julian->daylight_saving->start.kind == Kind::julian_no_leap);
    CHECK(julian->daylight_saving->start.day == 60);
    CHECK(julian->daylight_saving->start_time == 2h + 30min + 15s);
    CHECK(julian->daylight_saving->end.kind == Kind::zero_based);
    CHECK(julian->daylight_saving->end.day == 300);

    for (const char* bad :
         {"", "CET", "-1", "CET-1CEST", "CET-1CEST,M3.5.0", "CET-1CEST,M13.5.0,M10.5.0", "CET-1CEST,M3.6.0,M10.5.0",
          "CET-1CEST,M3.5.7,M10.5.0", "CET-1x", "CET-1CEST,J0,J100", "<+01-1", "CET-1CEST,M3.5.0,M10.5.0/3x"}) {
        INFO(bad);
        CHECK_FALSE(parse_posix_time_zone(bad));
    }
}

TEST_CASE("cron: footer rules agree with the zone files' listed transitions", "[cron]") {
    // For 2025-2037 the zone files list every transition; the footer rule must reproduce them,
    // or the years after 2037 (computed from the footer alone) would be wrong.
    using namespace std::chrono;
    for (const char* name :
         {"Europe/Berlin", "Europe/London", "Europe/Dublin", "America/New_York", "America/Nuuk", "America/Santiago",
          "America/St_Johns", "Australia/Sydney", "Australia/Lord_Howe", "Pacific/Auckland", "Pacific/Chatham",
          "Asia/Jerusalem", "Asia/Kolkata", "America/Havana", "Atlantic/Azores"}) {
        INFO(name);
        const auto zone = naq::detail::TimeZoneRules::find(name);
        REQUIRE(zone->footer());
        int mismatches = 0;
        // Daily samples: comparing each period's start pins every transition to the second.
        for (sys_seconds t = sys_days{2025y / January / 1}; t < sys_days{2037y / December / 1}; t += days{1}) {
            const auto listed = zone->period_at(t);
            const auto from_footer = naq::detail::period_at(*zone->footer(), t);
            if (listed.offset != from_footer.offset ||
                (listed.begin > sys_days{2025y / January / 1} && listed.begin != from_footer.begin)) {
                ++mismatches;
            }
        }
        CHECK(mismatches == 0);
    }
}

TEST_CASE("cron: Queue::schedule's Cron value defaults to UTC", "[cron]") {
    const naq::Cron daily{"0 9 * * MON"};
    CHECK(daily.tz == "UTC");
    const naq::Cron berlin{"0 9 * * MON", "Europe/Berlin"};
    CHECK(berlin.expr == "0 9 * * MON");
    CHECK(berlin.tz == "Europe/Berlin");
}

TEST_CASE("cron: parsed expressions are plain values", "[cron]") {
    const auto original = naq::CronExpression::parse("*/5 * * * *");
    const auto copy = original;  // NOLINT(performance-unnecessary-copy-initialization)
    CHECK(copy.text() == "*/5 * * * *");
    CHECK(iso(*copy.next_after(at("2024-01-01T00:00:00Z"))) == "2024-01-01T00:05:00Z");
}

TEST_CASE("cron: next_after is safe to call from several threads", "[cron]") {
    const auto cron = naq::CronExpression::parse("0 9 * * MON-FRI");
    const std::vector<std::string> zones{"Europe/Paris", "Asia/Tokyo", "America/Chicago", "Australia/Perth"};
    std::vector<std::string> results(zones.size());
    std::vector<std::thread> threads;
    for (std::size_t i = 0; i < zones.size(); ++i) {
        threads.emplace_back([&, i] {
            std::optional<Instant> fire = at("2024-01-01T00:00:00Z");
            for (int n = 0; n < 200 && fire; ++n) fire = cron.next_after(*fire, zones[i]);
            results[i] = fire ? iso(*fire) : "none";
        });
    }
    for (auto& thread : threads) thread.join();
    // The 200th weekday from Monday 2024-01-01 is Friday 2024-10-04.
    CHECK(results[0] == "2024-10-04T07:00:00Z");  // CEST
    // Tokyo starts at 09:00 JST exactly, which is not strictly after, so it runs a weekday later.
    CHECK(results[1] == "2024-10-07T00:00:00Z");  // JST, no DST
    CHECK(results[2] == "2024-10-04T14:00:00Z");  // CDT
    CHECK(results[3] == "2024-10-04T01:00:00Z");  // AWST, no DST
}

TEST_CASE("cron: 10,000 next fire times take well under a second", "[cron]") {
    const auto every_five_minutes = naq::CronExpression::parse("*/5 * * * *");
    const auto weekly = naq::CronExpression::parse("0 9 * * MON");
    const auto leap_day = naq::CronExpression::parse("0 0 29 2 *");
    const auto started = std::chrono::steady_clock::now();
    Instant from = at("2024-01-01T00:00:00Z");
    Instant weekly_from = from;
    for (int i = 0; i < 5000; ++i) {
        from = *every_five_minutes.next_after(from, "Europe/Berlin");
        weekly_from = *weekly.next_after(weekly_from, "America/New_York");
    }
    const auto elapsed = std::chrono::steady_clock::now() - started;
    CHECK(iso(from) == "2024-01-18T08:40:00Z");  // 5000 x 5 minutes
    // Speed is the point of this test: a loose bound, 50 times the ~20 ms both loops take together
    // in a RelWithDebInfo build (ample for a sanitizer build too).
    CHECK(elapsed < std::chrono::seconds{1});
    // 4999 weeks after Monday 2024-01-01 is Monday 2119-10-23, still on EDT (until November).
    CHECK(iso(weekly_from) == "2119-10-23T13:00:00Z");

    // Expressions that never fire give up after the search window, still quickly.
    const auto never = naq::CronExpression::parse("0 0 30 2 *");
    const auto never_started = std::chrono::steady_clock::now();
    for (int i = 0; i < 1000; ++i) CHECK_FALSE(never.next_after(from, "Europe/Berlin"));
    CHECK(std::chrono::steady_clock::now() - never_started < std::chrono::seconds{1});
    CHECK(leap_day.next_after(from));
}
