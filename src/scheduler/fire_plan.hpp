// The firing plan: what the scheduler does with a due schedule, decided from its record alone
// (so every scheduler decides the same). Pure: no server, no clock of its own.
#pragma once

#include <cstdint>
#include <string>

#include "naq/schedule.hpp"
#include "naq/scheduler.hpp"

namespace naq {

/// Fire the run due at `due_ms` or not, and the record after.
struct FirePlan {
    bool fire = false;    ///< publish the job of the run due at due_ms
    bool missed = false;  ///< the backlog was older than the catch-up window
    int64_t due_ms = 0;
    int64_t skipped = 0;  ///< runs not fired (missed runs with policy skip, or collapsed by once)
    bool done = false;    ///< no runs left: delete the schedule after firing
    Schedule next;        ///< the record to store after firing (next run, remaining, last fired)
};

/// Plans one step for a schedule whose next run is due (next_run_ms <= now_ms; paused
/// schedules are not planned). A run due no longer than `catch_up` ago fires as it is (each
/// late run of a backlog fires in turn); an older backlog is "missed": `once` fires one run for
/// all of it, `skip` fires none, and both continue at the first run after now. A delayed job
/// (kind once) always fires, however late. Repeat counts runs fired, not runs skipped.
FirePlan plan_fire(const Schedule& schedule, int64_t now_ms, MissedRuns policy, Millis catch_up);

}  // namespace naq
