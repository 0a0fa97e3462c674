// The dashboard's JSON API: each function answers one route of docs/dashboard.md from the same
// read side the CLI uses (inspect/, queue/, results/, events/). They throw naq errors; the
// server maps them to HTTP statuses. Private to src/dashboard.
#pragma once

#include <cstdint>
#include <string>

#include "dashboard/live_feed.hpp"
#include "dashboard/rate_history.hpp"
#include "naq/config.hpp"
#include "naq/dead_letter_pages.hpp"
#include "naq/dead_letters.hpp"
#include "naq/json.hpp"

namespace naq::dashboard {

class Api {
public:
    Api(const Config& config, LiveFeed& feed, RateHistory& history) : config_(config), feed_(feed), history_(history) {}

    Json overview() const;
    Json queue(const std::string& name) const;  ///< NotFound for an unknown queue
    Json purge_queue(const std::string& name) const;
    /// Pauses (`body`: {"reason": "..."} or {}) or resumes a queue.
    Json pause_queue(const std::string& name, const Json& body) const;
    Json resume_queue(const std::string& name) const;
    Json job(const std::string& id) const;  ///< NotFound when nothing is known of it
    Json cancel_job(const std::string& id) const;
    Json dead_letters(const DeadLetterFilter& filter, uint64_t after, std::size_t limit) const;
    /// {"job_id": "…"} or {"all": true, "queue", "task", "reason"}.
    Json requeue(const Json& body) const;
    Json purge_dead(const Json& body) const;  ///< {"queue": ""}: every queue
    Json schedules() const;
    /// action: pause | resume | cancel.
    Json schedule_action(const std::string& id, const std::string& action) const;
    Json workers() const;

private:
    Config config_;
    LiveFeed& feed_;
    RateHistory& history_;
};

}  // namespace naq::dashboard
