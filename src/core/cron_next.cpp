// Next fire time of a cron expression. The search runs over local wall-clock times field by field
// (month, day, hour, minute, second), jumping straight to the next allowed value of each, and then
// maps the local time found onto an instant with the zone's daylight-saving rules.
#include <algorithm>
#include <bit>
#include <chrono>
#include <cstdint>
#include <optional>

#include "cron_zone.hpp"
#include "naq/cron.hpp"

namespace naq {
namespace {

using std::chrono::days;
using std::chrono::local_days;
using std::chrono::local_seconds;
using std::chrono::seconds;
using std::chrono::sys_seconds;
using std::chrono::system_clock;

// How far ahead to look before concluding that an expression never fires. Eight years is the
// longest wait for a February 29 (2096 -> 2104), the rarest day an expression can ask for.
constexpr int search_years = 8;

/// A local wall-clock reading. Fields may run one past their range (month 13, hour 24, ...)
/// while searching; the search carries them over.
struct CivilTime {
    int year;
    unsigned month;  // 1-12
    unsigned day;    // 1-31
    unsigned hour;
    unsigned minute;
    unsigned second;
};

CivilTime to_civil(local_seconds time) {
    const local_days day = std::chrono::floor<days>(time);
    const std::chrono::year_month_day date{day};
    const std::chrono::hh_mm_ss time_of_day{time - day};
    return {static_cast<int>(date.year()),
            static_cast<unsigned>(date.month()),
            static_cast<unsigned>(date.day()),
            static_cast<unsigned>(time_of_day.hours().count()),
            static_cast<unsigned>(time_of_day.minutes().count()),
            static_cast<unsigned>(time_of_day.seconds().count())};
}

local_seconds to_local(const CivilTime& time) {
    const local_days day{std::chrono::year{time.year} / std::chrono::month{time.month} / std::chrono::day{time.day}};
    return day + std::chrono::hours{time.hour} + std::chrono::minutes{time.minute} + seconds{time.second};
}

unsigned days_in_month(int year, unsigned month) {
    const std::chrono::year_month_day_last last{std::chrono::year{year} / std::chrono::month{month} /
                                                std::chrono::last};
    return static_cast<unsigned>(last.day());
}

/// The smallest value >= `from` whose bit is set in `bits`.
std::optional<unsigned> next_allowed(std::uint64_t bits, unsigned from) {
    if (from >= 64) return std::nullopt;
    const std::uint64_t candidates = bits & (~std::uint64_t{0} << from);
    if (candidates == 0) return std::nullopt;
    return static_cast<unsigned>(std::countr_zero(candidates));
}

/// The allowed values of each field, as CronExpression holds them.
struct FieldSets {
    std::uint64_t seconds;
    std::uint64_t minutes;
    std::uint64_t hours;
    std::uint64_t days_of_month;
    std::uint64_t months;
    std::uint64_t days_of_week;
    bool day_of_month_star;
    bool day_of_week_star;

    /// Vixie cron: when either day field starts with '*', a day must satisfy both fields (the
    /// '*' one allows every day, or every n-th for "*/n"); when both are restricted, either.
    bool day_matches(int year, unsigned month, unsigned day) const {
        const std::chrono::weekday weekday{
            local_days{std::chrono::year{year} / std::chrono::month{month} / std::chrono::day{day}}};
        const bool by_month_day = (days_of_month >> day) & 1;
        const bool by_weekday = (days_of_week >> weekday.c_encoding()) & 1;
        if (day_of_month_star || day_of_week_star) return by_month_day && by_weekday;
        return by_month_day || by_weekday;
    }

    /// The first local time at or after `time` that every field allows, up to the end of
    /// `last_year`.
    std::optional<CivilTime> first_match(CivilTime time, int last_year) const {
        while (time.year <= last_year) {
            const auto month = next_allowed(months, time.month);
            if (!month) {
                time = {time.year + 1, 1, 1, 0, 0, 0};
                continue;
            }
            if (*month != time.month) time = {time.year, *month, 1, 0, 0, 0};

            const unsigned month_length = days_in_month(time.year, time.month);
            unsigned day = time.day;
            while (day <= month_length && !day_matches(time.year, time.month, day)) ++day;
            if (day > month_length) {
                time = {time.year, time.month + 1, 1, 0, 0, 0};
                continue;
            }
            if (day != time.day) time = {time.year, time.month, day, 0, 0, 0};

            const auto hour = next_allowed(hours, time.hour);
            if (!hour) {
                time = {time.year, time.month, time.day + 1, 0, 0, 0};
                continue;
            }
            if (*hour != time.hour) time = {time.year, time.month, time.day, *hour, 0, 0};

            const auto minute = next_allowed(minutes, time.minute);
            if (!minute) {
                time = {time.year, time.month, time.day, time.hour + 1, 0, 0};
                continue;
            }
            if (*minute != time.minute) time.second = 0;
            time.minute = *minute;

            const auto second = next_allowed(seconds, time.second);
            if (!second) {
                time = {time.year, time.month, time.day, time.hour, time.minute + 1, 0};
                continue;
            }
            time.second = *second;
            return time;
        }
        return std::nullopt;
    }
};

}  // namespace

std::optional<system_clock::time_point> CronExpression::next_after(system_clock::time_point after,
                                                                   std::string_view tz) const {
    using Kind = detail::LocalResolution::Kind;
    const auto zone = detail::TimeZoneRules::find(tz);
    const FieldSets fields{.seconds = seconds_,
                           .minutes = minutes_,
                           .hours = hours_,
                           .days_of_month = days_of_month_,
                           .months = months_,
                           .days_of_week = days_of_week_,
                           .day_of_month_star = day_of_month_star_,
                           .day_of_week_star = day_of_week_star_};

    // Fire times are whole seconds, so the first candidate is the next whole second.
    const sys_seconds after_seconds = std::chrono::floor<seconds>(after);
    const auto local_reading = [&](seconds offset) {
        return local_seconds{(after_seconds + offset).time_since_epoch()};
    };
    local_seconds from = local_reading(zone->period_at(after_seconds).offset) + seconds{1};
    const int last_year = to_civil(from).year + search_years;

    // Mapping local times to instants never goes backwards, so the first match whose instant
    // lies after `after` is the answer. Matches can map to `after` or earlier only inside a
    // fall-back overlap that `after` is in the second pass of.
    while (true) {
        const auto match = fields.first_match(to_civil(from), last_year);
        if (!match) return std::nullopt;
        const local_seconds local = to_local(*match);
        const detail::LocalResolution resolved = zone->resolve(local);
        if (resolved.instant > after) {
            if (resolved.instant > std::chrono::floor<seconds>(system_clock::time_point::max())) {
                return std::nullopt;
            }
            return std::chrono::time_point_cast<system_clock::duration>(resolved.instant);
        }
        from = local + seconds{1};
        if (resolved.kind == Kind::repeated) {
            // `after` is in the second pass of this overlap: every reading of the overlap up to
            // `after`'s own (in the first pass's offset) has fired already; the readings after
            // the overlap have not.
            const local_seconds overlap_end{(resolved.transition + resolved.offset).time_since_epoch()};
            const local_seconds past_after = local_reading(resolved.offset) + seconds{1};
            from = std::max(from, std::min(past_after, overlap_end));
        }
    }
}

}  // namespace naq
