// naq::ScheduleStore — the schedules bucket (scheduled_jobs): add, list, pause, resume, modify
// and cancel the delayed, interval and cron schedules that `naq scheduler` fires. Producers
// (Queue::enqueue_at / schedule) and the scheduler share it.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "naq/config.hpp"
#include "naq/schedule.hpp"

namespace naq {

/// The schedules bucket through a scoped KV handle with the shared Config.
/// Every write is checked first (nothing is stored when it throws) and uses compare-and-set.
class ScheduleStore {
public:
    explicit ScheduleStore(const Config& config = default_config());

    /// Stores a new schedule. Fills id (UUIDv7 when empty), created/updated times and, when 0,
    /// the next run. Throws InvalidArgument (see validate), Conflict when the id exists.
    Schedule add(Schedule schedule) const;

    /// Throws NotFound("schedule 'x' not found").
    Schedule get(const std::string& id) const;
    std::optional<Schedule> try_get(const std::string& id) const;
    /// Every schedule, soonest next run first (paused ones last).
    std::vector<Schedule> list() const;

    /// Stops firing until resumed. Throws NotFound.
    Schedule pause(const std::string& id) const;
    /// Fires again; runs that fell due while paused are skipped (a delayed job fires at once).
    /// Clears the failure count. Throws NotFound.
    Schedule resume(const std::string& id) const;
    /// Applies `change` (see ScheduleChange). Throws NotFound, InvalidArgument.
    Schedule modify(const std::string& id, const ScheduleChange& change) const;
    /// Deletes the schedule; a run already fired is not recalled. Throws NotFound.
    void cancel(const std::string& id) const;

    const Config& config() const { return config_; }

private:
    Config config_;
};

}  // namespace naq
