// Schedules: delayed jobs (once at a time), intervals and cron, kept in the scheduled_jobs KV
// bucket (key = schedule id) and fired by `naq scheduler` (scheduler.hpp). docs/scheduler.md
// describes the behaviour, docs/wire-format.md the JSON record.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "naq/config.hpp"
#include "naq/cron.hpp"
#include "naq/job.hpp"

namespace naq {

/// A recurring schedule that fires every `interval` (Queue::schedule(naq::Every{30s}, ...)).
struct Every {
    Millis interval{0};
};

/// What kind of schedule: a delayed job (one run at a time), a fixed interval, or cron.
enum class ScheduleKind { once, interval, cron };

/// Options of Queue::schedule / enqueue_at that are not job options.
struct ScheduleOptions {
    std::optional<int64_t> repeat;  ///< total runs; nullopt = forever (ignored for a delayed job)
    std::string id;                 ///< schedule id; empty = generated (UUIDv7)
    bool paused = false;            ///< store it paused
    /// First run no earlier than this: interval schedules fire at start, start + interval, ...;
    /// cron fires at its first time at or after start. Default: now + interval / next cron time.
    std::optional<std::chrono::system_clock::time_point> start;
};

/// One schedule record (bucket scheduled_jobs, key = id). Times are Unix milliseconds.
struct Schedule {
    std::string id;
    std::string queue;
    std::string task;
    Json args = Json::object();
    EnqueueOptions options;  ///< job options of every firing (job_id is ignored)
    ScheduleKind kind = ScheduleKind::once;
    Millis interval{0};      ///< kind interval
    std::string cron;        ///< kind cron: the expression
    std::string tz = "UTC";  ///< kind cron: IANA time zone
    int64_t next_run_ms = 0;
    std::optional<int64_t> repeat;  ///< total runs; nullopt = forever
    int64_t remaining = 0;          ///< runs left when repeat is set
    bool paused = false;
    int64_t fired = 0;          ///< runs fired so far
    int64_t last_fired_ms = 0;  ///< due time of the last run fired
    int failures = 0;           ///< publish failures in a row
    std::string last_error;
    int64_t created_at_ms = 0;
    int64_t updated_at_ms = 0;
};

/// A change to an existing schedule (ScheduleStore::modify); unset fields stay as they are.
/// Setting cron, every or at changes the kind and recomputes the next run from now.
struct ScheduleChange {
    std::optional<Cron> cron;
    std::optional<Every> every;
    std::optional<std::chrono::system_clock::time_point> at;  ///< makes it a delayed job
    std::optional<std::string> tz;                            ///< cron time zone only
    std::optional<int64_t> repeat;                            ///< 0 = forever
    std::optional<std::string> queue;
    std::optional<std::string> task;
    std::optional<Json> args;
    std::optional<int> max_attempts;
    std::optional<Millis> timeout;
};

/// "once" | "interval" | "cron", as in the record's `kind`.
const char* to_string(ScheduleKind kind);
/// Throws SerializationError for an unknown name.
ScheduleKind schedule_kind_from_string(const std::string& name);

/// "once at 2026-11-23T18:00:00.000Z", "every 30s", "cron */5 * * * * (Europe/Berlin)".
std::string describe(const Schedule& schedule);

/// Throws InvalidArgument unless `id` is 1-100 characters of A-Z a-z 0-9 _ -.
void check_schedule_id(const std::string& id);

/// Checks a schedule before it is stored: id, queue, task, cron and time zone, interval (at
/// least 100 ms), repeat (at least 1). Throws InvalidArgument with a one-line reason.
void validate(const Schedule& schedule);

/// The run after the one due at `due_ms`: due + interval, or the next cron time after it.
/// nullopt for a delayed job or a cron expression that never fires again.
std::optional<int64_t> next_run_after(const Schedule& schedule, int64_t due_ms);

/// The first run strictly after `now_ms` on the schedule's grid (interval schedules keep their
/// phase: next_run + k * interval). nullopt as for next_run_after.
std::optional<int64_t> first_run_after(const Schedule& schedule, int64_t now_ms);

/// The job id (and Nats-Msg-Id) of the run due at `due_ms`: the schedule id for a delayed job,
/// "<schedule id>_<due_ms>" for a recurring schedule (NATS KV keys cannot hold ':').
std::string fire_job_id(const Schedule& schedule, int64_t due_ms);

/// Parses an ISO 8601 time with a zone: "2026-11-23T18:00:00Z", "...18:00:00.250+01:00",
/// "...18:00+0100"; a space may replace the T. Throws InvalidArgument naming the text.
std::chrono::system_clock::time_point parse_iso8601(std::string_view text);

/// The latest time naq schedules (2200-01-01T00:00:00Z, Unix ms): later ones are refused, as
/// std::chrono's clocks end in 2262.
inline constexpr int64_t kLatestTimeMs = 7'258'118'400'000;

namespace codec {
/// The schedule record as stored in the schedules bucket (docs/wire-format.md).
std::string encode(const Schedule& schedule);
/// Decodes a schedule record; SerializationError names the field.
Schedule decode_schedule(std::string_view text);
Json to_json(const Schedule& schedule);
}  // namespace codec

}  // namespace naq
