// Time zone rules for cron evaluation (internal to the scheduler module).
//
// Offsets come from Howard Hinnant's date/tz reading the system zoneinfo files. Those files list
// transitions only up to 2037 and describe later years with a POSIX TZ rule in their footer, which
// date/tz ignores (it would report standard time for every summer after 2037). TimeZoneRules reads
// that footer itself and uses it for instants past the file's last transition.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string_view>
#include <utility>

namespace date {
class time_zone;
}

namespace naq::detail {

/// A POSIX TZ string as found in TZif footers, e.g. "CET-1CEST,M3.5.0,M10.5.0/3".
struct PosixTimeZone {
    /// The day a daylight-saving period starts or ends.
    struct DayRule {
        enum class Kind { julian_no_leap, zero_based, month_week_day };
        Kind kind = Kind::month_week_day;
        int day = 0;      // "Jn": 1-365, February 29 never counted; "n": 0-365
        int month = 0;    // "Mm.w.d": month 1-12,
        int week = 0;     //   week 1-5 (5 = the last such weekday of the month),
        int weekday = 0;  //   weekday 0-6 (0 = Sunday)
    };
    struct DaylightSaving {
        std::chrono::seconds offset{0};
        DayRule start;
        std::chrono::seconds start_time{7200};  // local standard time of the switch to DST
        DayRule end;
        std::chrono::seconds end_time{7200};  // local daylight time of the switch back
    };
    std::chrono::seconds standard_offset{0};  // east of UTC, i.e. local = UTC + offset
    std::optional<DaylightSaving> daylight_saving;
};

/// Parses a POSIX TZ string; nullopt when it is malformed or has DST without transition rules.
std::optional<PosixTimeZone> parse_posix_time_zone(std::string_view text);

/// The UTC offset in force at an instant and the instant that offset took effect.
struct OffsetPeriod {
    std::chrono::seconds offset{0};
    std::chrono::sys_seconds begin;
};

/// The offset period of `rule` containing `instant`.
OffsetPeriod period_at(const PosixTimeZone& rule, std::chrono::sys_seconds instant);

/// How a local wall-clock time maps onto an instant.
struct LocalResolution {
    enum class Kind {
        unique,    // occurs once
        skipped,   // in a spring-forward gap: `instant` is the end of the gap
        repeated,  // in a fall-back overlap: `instant` is the first occurrence
    };
    Kind kind = Kind::unique;
    std::chrono::sys_seconds instant;
    std::chrono::seconds offset{0};       // the offset `instant` is read with (after the gap if skipped)
    std::chrono::sys_seconds transition;  // skipped or repeated: when the offset changed
};

/// UTC or one IANA zone.
class TimeZoneRules {
public:
    /// "" or "UTC" is UTC; anything else must name a zone of the system database. Results are
    /// cached for the life of the process. Throws InvalidArgument("unknown time zone 'X'").
    static std::shared_ptr<const TimeZoneRules> find(std::string_view name);

    OffsetPeriod period_at(std::chrono::sys_seconds instant) const;
    LocalResolution resolve(std::chrono::local_seconds local) const;
    /// The zone file's footer rule, if it has a usable one (exposed for tests).
    const std::optional<PosixTimeZone>& footer() const noexcept { return footer_; }

    TimeZoneRules() = default;  // UTC
    TimeZoneRules(const date::time_zone* zone, std::optional<PosixTimeZone> footer)
        : zone_(zone), footer_(std::move(footer)) {}

private:
    const date::time_zone* zone_ = nullptr;  // nullptr = UTC
    std::optional<PosixTimeZone> footer_;    // rule past the zone file's last transition
};

}  // namespace naq::detail
