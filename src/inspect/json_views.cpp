#include "naq/codec.hpp"
#include "naq/inspect_json.hpp"
#include "naq/queue_control.hpp"

namespace naq {

Json queue_stats_json(const QueueStats& s) {
    const auto& q = s.counts;
    return {{"queue", q.queue},
            {"pending", q.pending},
            {"pending_high", q.pending_high},
            {"pending_low", q.pending_low},
            {"in_flight", q.in_flight},
            {"redelivered", q.redelivered},
            {"stored", q.stored},
            {"has_consumer", q.has_consumer},
            {"dead", s.dead},
            {"workers", s.workers},
            {"finished_last_minute", s.finished_recently},
            {"per_second", s.per_second},
            {"paused", s.control.paused},
            {"paused_reason", s.control.reason},
            {"paused_at", s.control.paused ? s.control.changed_at_ms : 0},
            {"rate_max", s.control.limits.rate_max},
            {"rate_period_ms", s.control.limits.rate_max > 0 ? s.control.limits.rate_period.count() : 0},
            {"concurrency_limit", s.control.limits.concurrency},
            {"task_limits", s.control.limits.tasks}};
}

Json queue_stats_json(const std::vector<QueueStats>& stats) {
    Json out = Json::array();
    for (const auto& s : stats) out.push_back(queue_stats_json(s));
    return out;
}

Json workers_json(const std::vector<WorkerStatus>& workers) {
    Json out = Json::array();
    for (const auto& w : workers) out.push_back(to_json(w));
    return out;
}

Json dead_letter_json(const DeadLetter& letter) {
    Json j = letter.record;
    j["sequence"] = letter.sequence;
    return j;
}

Json schedule_json(const Schedule& schedule) {
    Json j = codec::to_json(schedule);
    j["describe"] = describe(schedule);
    return j;
}

}  // namespace naq
