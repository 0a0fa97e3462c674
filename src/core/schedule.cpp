// Schedule logic without a server: validation, next runs, ISO 8601 times.
#include "naq/schedule.hpp"

#include <spdlog/fmt/fmt.h>

#include <cctype>
#include <cstdio>

#include "config/enum_names.hpp"
#include "naq/durations.hpp"
#include "naq/errors.hpp"
#include "naq/names.hpp"

namespace naq {

namespace {

using std::chrono::system_clock;

constexpr std::size_t kMaxScheduleId = 100;  // "<id>_<13 digits>" stays within the 128 of a job id
constexpr int64_t kMinIntervalMs = 100;

constexpr detail::EnumNames<ScheduleKind, 3> kKindNames{"schedule kind",
                                                        {{
                                                            {ScheduleKind::once, "once"},
                                                            {ScheduleKind::interval, "interval"},
                                                            {ScheduleKind::cron, "cron"},
                                                        }}};

system_clock::time_point to_time(int64_t ms) {
    return system_clock::time_point(std::chrono::duration_cast<system_clock::duration>(Millis(ms)));
}

int64_t to_ms(system_clock::time_point tp) { return std::chrono::duration_cast<Millis>(tp.time_since_epoch()).count(); }

std::string iso(int64_t ms) {
    auto days = std::chrono::floor<std::chrono::days>(to_time(ms));
    std::chrono::year_month_day ymd{days};
    int64_t in_day = ms - to_ms(days);
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", static_cast<int>(ymd.year()),
                       static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()), in_day / 3'600'000,
                       in_day / 60'000 % 60, in_day / 1000 % 60, in_day % 1000);
}

// Past kLatestTimeMs a schedule has no next run (the clock would overflow).
std::optional<int64_t> within_range(int64_t ms) {
    if (ms < 0 || ms > kLatestTimeMs) return std::nullopt;
    return ms;
}

std::optional<int64_t> cron_next(const Schedule& s, int64_t after_ms) {
    if (!within_range(after_ms)) return std::nullopt;
    auto next = CronExpression::parse(s.cron).next_after(to_time(after_ms), s.tz);
    if (!next) return std::nullopt;
    return within_range(to_ms(*next));
}

}  // namespace

void check_schedule_id(const std::string& id) {
    if (id.empty() || id.size() > kMaxScheduleId) {
        throw InvalidArgument("schedule id must be 1-" + std::to_string(kMaxScheduleId) + " characters");
    }
    for (char ch : id) {
        if (std::isalnum(static_cast<unsigned char>(ch)) == 0 && ch != '-' && ch != '_') {
            throw InvalidArgument("schedule id '" + id + "' may only use A-Z a-z 0-9 _ -");
        }
    }
}

const char* to_string(ScheduleKind kind) { return kKindNames.name(kind); }

ScheduleKind schedule_kind_from_string(const std::string& name) { return kKindNames.parse<SerializationError>(name); }

std::string describe(const Schedule& s) {
    switch (s.kind) {
        case ScheduleKind::once: return "once at " + iso(s.next_run_ms);
        case ScheduleKind::interval: return "every " + format_duration(s.interval);
        case ScheduleKind::cron: break;
    }
    return "cron " + s.cron + (s.tz.empty() || s.tz == "UTC" ? "" : " (" + s.tz + ")");
}

void validate(const Schedule& s) {
    check_schedule_id(s.id);
    names::check_token(s.queue, "queue name");
    if (s.task.empty()) throw InvalidArgument("task name must not be empty");
    switch (s.kind) {
        case ScheduleKind::once:
            if (s.next_run_ms <= 0) throw InvalidArgument("a delayed job needs a run time");
            break;
        case ScheduleKind::interval:
            if (s.interval.count() < kMinIntervalMs) {
                throw InvalidArgument("interval " + format_duration(s.interval) +
                                      " is too short: the minimum is 100ms");
            }
            if (s.interval.count() > kLatestTimeMs) {
                throw InvalidArgument("interval " + format_duration(s.interval) +
                                      " is too long: the maximum is 230 years");
            }
            break;
        case ScheduleKind::cron:
            CronExpression::parse(s.cron);  // throws InvalidArgument naming field and token
            check_time_zone(s.tz);
            break;
    }
    if (s.next_run_ms > kLatestTimeMs) throw InvalidArgument("the next run is after 2200");
    if (s.repeat && *s.repeat < 1) throw InvalidArgument("repeat must be at least 1");
    if (s.repeat && (s.remaining < 0 || s.remaining > *s.repeat)) {
        throw InvalidArgument("remaining runs must be between 0 and repeat");
    }
    if (s.options.max_attempts && *s.options.max_attempts < 1) {
        throw InvalidArgument("max_attempts must be at least 1");
    }
    if (s.options.timeout && s.options.timeout->count() < 0) throw InvalidArgument("timeout must not be negative");
}

std::optional<int64_t> next_run_after(const Schedule& s, int64_t due_ms) {
    switch (s.kind) {
        case ScheduleKind::once: return std::nullopt;
        case ScheduleKind::interval: return within_range(due_ms + s.interval.count());
        case ScheduleKind::cron: break;
    }
    return cron_next(s, due_ms);
}

std::optional<int64_t> first_run_after(const Schedule& s, int64_t now_ms) {
    switch (s.kind) {
        case ScheduleKind::once: return std::nullopt;
        case ScheduleKind::interval: {
            int64_t step = s.interval.count();
            if (s.next_run_ms > now_ms) return s.next_run_ms;
            return within_range(s.next_run_ms + ((now_ms - s.next_run_ms) / step + 1) * step);
        }
        case ScheduleKind::cron: break;
    }
    return cron_next(s, now_ms);
}

std::string fire_job_id(const Schedule& s, int64_t due_ms) {
    if (s.kind == ScheduleKind::once) return s.id;
    return s.id + "_" + std::to_string(due_ms);
}

system_clock::time_point parse_iso8601(std::string_view text) {
    auto bad = [&](const std::string& why) -> InvalidArgument {
        return InvalidArgument("time '" + std::string(text) + "' " + why +
                               " (expected ISO 8601 such as 2026-11-23T18:00:00Z or 2026-11-23T19:00:00+01:00)");
    };
    std::size_t pos = 0;
    auto number = [&](std::size_t digits) {
        int value = 0;
        for (std::size_t i = 0; i < digits; ++i, ++pos) {
            if (pos >= text.size() || std::isdigit(static_cast<unsigned char>(text[pos])) == 0) {
                throw bad("is not a valid time");
            }
            value = value * 10 + (text[pos] - '0');
        }
        return value;
    };
    auto expect = [&](char ch) {
        if (pos >= text.size() || text[pos] != ch) throw bad("is not a valid time");
        ++pos;
    };
    int year = number(4);
    expect('-');
    int month = number(2);
    expect('-');
    int day = number(2);
    if (pos >= text.size() || (text[pos] != 'T' && text[pos] != 't' && text[pos] != ' ')) {
        throw bad("has no time of day");
    }
    ++pos;
    int hour = number(2);
    expect(':');
    int minute = number(2);
    int second = 0;
    int millis = 0;
    if (pos < text.size() && text[pos] == ':') {
        ++pos;
        second = number(2);
        if (pos < text.size() && (text[pos] == '.' || text[pos] == ',')) {
            ++pos;
            int scale = 100;
            std::size_t start = pos;
            while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos])) != 0) {
                millis += (text[pos] - '0') * scale;
                scale /= 10;
                ++pos;
            }
            if (pos == start) throw bad("is not a valid time");
        }
    }
    int offset_minutes = 0;
    if (pos >= text.size()) throw bad("has no time zone: add Z or an offset such as +01:00");
    if (text[pos] == 'Z' || text[pos] == 'z') {
        ++pos;
    } else if (text[pos] == '+' || text[pos] == '-') {
        int sign = text[pos] == '-' ? -1 : 1;
        ++pos;
        int oh = number(2);
        if (pos < text.size() && text[pos] == ':') ++pos;
        int om = number(2);
        if (oh > 23 || om > 59) throw bad("has an invalid offset");
        offset_minutes = sign * (oh * 60 + om);
    } else {
        throw bad("has no time zone: add Z or an offset such as +01:00");
    }
    if (pos != text.size()) throw bad("has trailing characters");
    std::chrono::year_month_day ymd{std::chrono::year{year}, std::chrono::month{static_cast<unsigned>(month)},
                                    std::chrono::day{static_cast<unsigned>(day)}};
    if (!ymd.ok()) throw bad("is not a calendar date");
    // system_clock counts nanoseconds in 64 bits: about 1678 to 2261. A job's time is in this era.
    if (year < 1970 || year > 2200) throw bad("has a year outside 1970-2200");
    if (hour > 23 || minute > 59 || second > 59) throw bad("has an invalid time of day");
    return system_clock::time_point(std::chrono::sys_days{ymd}) + std::chrono::hours{hour} +
           std::chrono::minutes{minute - offset_minutes} + std::chrono::seconds{second} +
           std::chrono::milliseconds{millis};
}

}  // namespace naq
