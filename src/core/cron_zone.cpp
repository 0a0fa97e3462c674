// Time zone rules for cron evaluation: date/tz for the transitions a zone file lists, the file's
// POSIX TZ footer for the years after them (see cron_zone.hpp).
#include "cron_zone.hpp"

// The system date-tz library is built against the OS zoneinfo database; the declarations must
// match it (CMake's date::date-tz target defines this too).
#ifndef USE_OS_TZDB
#define USE_OS_TZDB 1
#endif
#include <date/tz.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <fstream>
#include <iterator>
#include <map>
#include <mutex>
#include <string>

#include "naq/cron.hpp"
#include "naq/errors.hpp"

namespace naq::detail {
namespace {

using std::chrono::days;
using std::chrono::local_days;
using std::chrono::seconds;
using std::chrono::sys_seconds;

// Where date/tz finds the zoneinfo files on Linux.
constexpr std::string_view zoneinfo_dir = "/usr/share/zoneinfo";

/// Reads the parts of a POSIX TZ string, e.g. "<+0530>-5:30" or "EST5EDT,M3.2.0,M11.1.0".
class PosixParser {
public:
    explicit PosixParser(std::string_view text) : text_(text) {}

    bool at_end() const { return pos_ == text_.size(); }
    bool peek(char c) const { return pos_ < text_.size() && text_[pos_] == c; }
    bool take(char c) {
        if (!peek(c)) return false;
        ++pos_;
        return true;
    }

    /// A zone abbreviation: letters, or anything between '<' and '>'.
    bool abbreviation() {
        if (take('<')) {
            const std::size_t close = text_.find('>', pos_);
            if (close == std::string_view::npos || close == pos_) return false;
            pos_ = close + 1;
            return true;
        }
        const std::size_t start = pos_;
        while (pos_ < text_.size() && std::isalpha(static_cast<unsigned char>(text_[pos_]))) ++pos_;
        return pos_ > start;
    }

    /// [+-]hh[:mm[:ss]], hours up to 167 (TZif v3 transition times may exceed 24).
    std::optional<seconds> duration() {
        int sign = 1;
        if (take('-')) {
            sign = -1;
        } else {
            take('+');
        }
        const auto hours = number(167);
        if (!hours) return std::nullopt;
        long total = *hours * 3600L;
        for (const long unit : {60L, 1L}) {
            if (!take(':')) break;
            const auto part = number(59);
            if (!part) return std::nullopt;
            total += *part * unit;
        }
        return seconds{sign * total};
    }

    std::optional<PosixTimeZone::DayRule> day_rule() {
        using Kind = PosixTimeZone::DayRule::Kind;
        PosixTimeZone::DayRule rule;
        if (take('J')) {
            const auto day = number(365);
            if (!day || *day < 1) return std::nullopt;
            rule.kind = Kind::julian_no_leap;
            rule.day = *day;
        } else if (take('M')) {
            const auto month = number(12);
            if (!month || *month < 1 || !take('.')) return std::nullopt;
            const auto week = number(5);
            if (!week || *week < 1 || !take('.')) return std::nullopt;
            const auto weekday = number(6);
            if (!weekday) return std::nullopt;
            rule.kind = Kind::month_week_day;
            rule.month = *month;
            rule.week = *week;
            rule.weekday = *weekday;
        } else {
            const auto day = number(365);
            if (!day) return std::nullopt;
            rule.kind = Kind::zero_based;
            rule.day = *day;
        }
        return rule;
    }

private:
    std::string_view text_;
    std::size_t pos_ = 0;

    std::optional<int> number(int max) {
        const std::size_t start = pos_;
        int value = 0;
        while (pos_ < text_.size() && std::isdigit(static_cast<unsigned char>(text_[pos_]))) {
            value = value * 10 + (text_[pos_] - '0');
            if (value > max) return std::nullopt;
            ++pos_;
        }
        if (pos_ == start) return std::nullopt;
        return value;
    }
};

/// The first day of `rule` in `year`.
local_days day_of(const PosixTimeZone::DayRule& rule, int year) {
    using namespace std::chrono;
    using Kind = PosixTimeZone::DayRule::Kind;
    const local_days new_year{std::chrono::year{year} / January / 1};
    switch (rule.kind) {
        case Kind::julian_no_leap: {
            const bool after_leap_day = std::chrono::year{year}.is_leap() && rule.day >= 60;
            return new_year + days{rule.day - 1 + (after_leap_day ? 1 : 0)};
        }
        case Kind::zero_based: return new_year + days{rule.day};
        case Kind::month_week_day: break;
    }
    const std::chrono::month month{static_cast<unsigned>(rule.month)};
    const local_days first{std::chrono::year{year} / month / 1};
    const local_days last{std::chrono::year{year} / month / std::chrono::last};
    const days to_weekday = std::chrono::weekday{static_cast<unsigned>(rule.weekday)} - std::chrono::weekday{first};
    local_days day = first + to_weekday + weeks{rule.week - 1};
    while (day > last) day -= weeks{1};  // week 5 means the last one
    return day;
}

/// The POSIX TZ footer of the zone's TZif file, if it has a usable one.
std::optional<PosixTimeZone> read_footer(const std::string& zone_name) {
    std::ifstream file(std::string(zoneinfo_dir) + "/" + zone_name, std::ios::binary);
    if (!file) return std::nullopt;
    const std::string data{std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>()};
    // Version 2+ files end with "\n<TZ string>\n"; the TZ string contains no newline.
    if (data.size() < 6 || data.compare(0, 4, "TZif") != 0 || data[4] < '2' || data.back() != '\n') {
        return std::nullopt;
    }
    const std::size_t start = data.rfind('\n', data.size() - 2);
    if (start == std::string::npos) return std::nullopt;
    return parse_posix_time_zone(std::string_view(data).substr(start + 1, data.size() - start - 2));
}

}  // namespace

std::optional<PosixTimeZone> parse_posix_time_zone(std::string_view text) {
    PosixParser parser(text);
    PosixTimeZone zone;
    if (!parser.abbreviation()) return std::nullopt;
    const auto standard = parser.duration();
    if (!standard) return std::nullopt;
    zone.standard_offset = -*standard;  // POSIX offsets count west of Greenwich
    if (parser.at_end()) return zone;

    if (!parser.abbreviation()) return std::nullopt;
    PosixTimeZone::DaylightSaving dst;
    dst.offset = zone.standard_offset + std::chrono::hours{1};
    if (!parser.peek(',')) {
        const auto daylight = parser.duration();
        if (!daylight) return std::nullopt;
        dst.offset = -*daylight;
    }
    // zic always writes the rules; without them the transition days would be guesswork.
    if (!parser.take(',')) return std::nullopt;
    const auto start = parser.day_rule();
    if (!start) return std::nullopt;
    dst.start = *start;
    if (parser.take('/')) {
        const auto time = parser.duration();
        if (!time) return std::nullopt;
        dst.start_time = *time;
    }
    if (!parser.take(',')) return std::nullopt;
    const auto end = parser.day_rule();
    if (!end) return std::nullopt;
    dst.end = *end;
    if (parser.take('/')) {
        const auto time = parser.duration();
        if (!time) return std::nullopt;
        dst.end_time = *time;
    }
    if (!parser.at_end()) return std::nullopt;
    zone.daylight_saving = dst;
    return zone;
}

OffsetPeriod period_at(const PosixTimeZone& rule, sys_seconds instant) {
    if (!rule.daylight_saving) return {rule.standard_offset, sys_seconds::min()};
    const auto& dst = *rule.daylight_saving;
    const auto to_sys = [](local_days day, seconds time, seconds offset) {
        return sys_seconds{(day + time).time_since_epoch() - offset};
    };
    // The transitions of the year before, this year and the next, in order; for zones on
    // permanent DST written as "start Jan 1, end Dec 31 25:00" an end and the next start
    // coincide, and the start (listed later) must win.
    const int year = static_cast<int>(std::chrono::year_month_day{std::chrono::floor<days>(instant)}.year());
    std::array<OffsetPeriod, 6> transitions;
    for (int i = 0; i < 3; ++i) {
        transitions[2 * i] = {dst.offset,
                              to_sys(day_of(dst.start, year - 1 + i), dst.start_time, rule.standard_offset)};
        transitions[2 * i + 1] = {rule.standard_offset,
                                  to_sys(day_of(dst.end, year - 1 + i), dst.end_time, dst.offset)};
    }
    std::stable_sort(transitions.begin(), transitions.end(),
                     [](const OffsetPeriod& a, const OffsetPeriod& b) { return a.begin < b.begin; });
    OffsetPeriod current{rule.standard_offset, sys_seconds::min()};
    for (const OffsetPeriod& transition : transitions) {
        if (transition.begin <= instant) current = transition;
    }
    return current;
}

std::shared_ptr<const TimeZoneRules> TimeZoneRules::find(std::string_view name) {
    if (name.empty() || name == "UTC") {
        static const auto utc = std::make_shared<const TimeZoneRules>();
        return utc;
    }
    static std::mutex mutex;
    static std::map<std::string, std::shared_ptr<const TimeZoneRules>, std::less<>> cache;
    const std::lock_guard lock(mutex);
    if (const auto found = cache.find(name); found != cache.end()) return found->second;

    const date::time_zone* zone = nullptr;
    try {
        zone = date::locate_zone(name);
    } catch (const std::exception&) {
        throw InvalidArgument("unknown time zone '" + std::string(name) + "'");
    }
    auto rules = std::make_shared<const TimeZoneRules>(zone, read_footer(zone->name()));
    cache.emplace(std::string(name), rules);
    return rules;
}

OffsetPeriod TimeZoneRules::period_at(sys_seconds instant) const {
    if (zone_ == nullptr) return {seconds{0}, sys_seconds::min()};
    const date::sys_info info = zone_->get_info(instant);
    // date/tz reports the period after the file's last transition as lasting forever.
    const bool past_last_transition = info.end >= date::sys_days{date::year{9999} / date::January / 1};
    if (past_last_transition && footer_ && footer_->daylight_saving) {
        OffsetPeriod period = detail::period_at(*footer_, instant);
        period.begin = std::max(period.begin, info.begin);
        return period;
    }
    return {info.offset, info.begin};
}

LocalResolution TimeZoneRules::resolve(std::chrono::local_seconds local) const {
    using Kind = LocalResolution::Kind;
    const sys_seconds as_utc{local.time_since_epoch()};
    if (zone_ == nullptr) return {Kind::unique, as_utc, seconds{0}, {}};
    // Offsets stay within a day of UTC and zones do not change offset twice within two days, so
    // the offsets a day either side are the only two candidates for this wall-clock time.
    const seconds earlier = period_at(as_utc - days{1}).offset;
    const seconds later = period_at(as_utc + days{1}).offset;
    if (earlier == later) return {Kind::unique, as_utc - earlier, earlier, {}};
    const sys_seconds with_earlier = as_utc - earlier;
    const sys_seconds with_later = as_utc - later;
    const bool earlier_fits = period_at(with_earlier).offset == earlier;
    const bool later_fits = period_at(with_later).offset == later;
    if (earlier_fits && later_fits) {
        // Clocks went back: the first occurrence is the reading with the larger offset.
        const seconds first_offset = std::max(earlier, later);
        const sys_seconds transition = period_at(std::max(with_earlier, with_later)).begin;
        return {Kind::repeated, as_utc - first_offset, first_offset, transition};
    }
    if (earlier_fits) return {Kind::unique, with_earlier, earlier, {}};
    if (later_fits) return {Kind::unique, with_later, later, {}};
    // Neither reading exists: the clock jumped over this time. The gap ends where the period
    // containing the later of the two candidate instants begins.
    const OffsetPeriod after_gap = period_at(std::max(with_earlier, with_later));
    return {Kind::skipped, after_gap.begin, after_gap.offset, after_gap.begin};
}

}  // namespace naq::detail

namespace naq {

void check_time_zone(std::string_view tz) { detail::TimeZoneRules::find(tz); }

}  // namespace naq
