// Cron expressions for the scheduler: a hand-written parser (Vixie cron syntax, optional seconds
// field, @macros) and a next-fire-time calculator that evaluates the schedule in an IANA time zone.
// docs/cron.md describes the syntax and the daylight-saving rules.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace naq {

/// A cron schedule as the Queue::schedule API takes it: the expression and the time zone it is
/// evaluated in ("UTC" or an IANA name such as "Europe/Berlin").
struct Cron {
    std::string expr;
    std::string tz = "UTC";
};

/// A parsed cron expression. Immutable; cheap to copy; safe to share between threads.
class CronExpression {
public:
    /// Parses 5 fields (minute hour day-of-month month day-of-week), 6 fields (second first),
    /// or a macro (@yearly @annually @monthly @weekly @daily @midnight @hourly).
    /// Throws naq::InvalidArgument with a one-line message naming the field and the bad token,
    /// e.g. `cron "61 * * * *": minute: 61 is out of range 0-59`.
    static CronExpression parse(std::string_view expr);

    /// The first fire time strictly after `after`, evaluated in time zone `tz` ("" or "UTC" = UTC,
    /// otherwise an IANA name). A local time skipped by a daylight-saving jump fires once at the
    /// first instant after the jump; a local time that occurs twice fires once, at its first
    /// occurrence. Returns nullopt when the schedule does not fire before the end of the 8th
    /// year after `after` (e.g. "0 0 30 2 *"; 8 years is the longest wait for a February 29) or
    /// the next fire time is beyond what system_clock can represent. Throws naq::InvalidArgument
    /// for an unknown time zone.
    std::optional<std::chrono::system_clock::time_point> next_after(std::chrono::system_clock::time_point after,
                                                                    std::string_view tz = "UTC") const;

    /// The expression as written (surrounding whitespace removed).
    const std::string& text() const noexcept { return text_; }
    /// True when the expression has the leading seconds field (6 fields).
    bool has_seconds() const noexcept { return has_seconds_; }

private:
    CronExpression() = default;

    // Bit v is set when value v is allowed.
    std::uint64_t seconds_ = 0;        // 0-59
    std::uint64_t minutes_ = 0;        // 0-59
    std::uint32_t hours_ = 0;          // 0-23
    std::uint32_t days_of_month_ = 0;  // 1-31
    std::uint16_t months_ = 0;         // 1-12
    std::uint8_t days_of_week_ = 0;    // 0-6, 0 = Sunday
    // Vixie cron: a day field whose text starts with '*' is "unrestricted" (docs/cron.md).
    bool day_of_month_star_ = false;
    bool day_of_week_star_ = false;
    bool has_seconds_ = false;
    std::string text_;
};

/// Checks that `tz` is "" / "UTC" or a zone in the system's IANA database.
/// Throws naq::InvalidArgument("unknown time zone 'X'") otherwise.
void check_time_zone(std::string_view tz);

}  // namespace naq
