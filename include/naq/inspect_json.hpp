// The JSON views of the read side: what `naq queues --json`, `naq workers --json`, `naq dead
// --json` and `naq schedule --json` print and what the dashboard's API answers. One function per
// view, so that the two never disagree.
#pragma once

#include <vector>

#include "naq/job.hpp"
#include "naq/json.hpp"
#include "naq/queue_stats.hpp"
#include "naq/schedule.hpp"
#include "naq/worker_status.hpp"

namespace naq {

/// One object per queue: queue, pending, in_flight, redelivered, stored, has_consumer, dead,
/// workers, finished_last_minute, per_second.
Json queue_stats_json(const QueueStats& stats);
Json queue_stats_json(const std::vector<QueueStats>& stats);

/// The worker status records.
Json workers_json(const std::vector<WorkerStatus>& workers);

/// The dead letter record plus "sequence", its position in the dead-letter stream.
Json dead_letter_json(const DeadLetter& letter);

/// The schedule record plus "describe" ("every 5m", "cron 0 9 * * MON (Europe/Berlin)").
Json schedule_json(const Schedule& schedule);

}  // namespace naq
