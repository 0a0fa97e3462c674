// plan_fire(): the scheduler's decision for one due schedule (see fire_plan.hpp).
#include "scheduler/fire_plan.hpp"

#include "naq/errors.hpp"

namespace naq {

namespace {
constexpr int kMaxSkipCount = 10'000;  // counting a cron backlog stops here (only a statistic)
}  // namespace

FirePlan plan_fire(const Schedule& s, int64_t now_ms, MissedRuns policy, Millis catch_up) {
    FirePlan plan;
    plan.next = s;
    plan.due_ms = s.next_run_ms;
    plan.missed = now_ms - s.next_run_ms > catch_up.count();
    std::optional<int64_t> next;
    if (s.kind == ScheduleKind::once) {
        plan.fire = true;  // a delayed job is a job someone enqueued: never dropped
    } else if (!plan.missed) {
        plan.fire = true;
        next = next_run_after(s, s.next_run_ms);
    } else {
        next = first_run_after(s, now_ms);
        int64_t backlog = 0;
        if (s.kind == ScheduleKind::interval) {
            backlog = (now_ms - s.next_run_ms) / s.interval.count() + 1;
        } else {
            for (auto t = std::optional<int64_t>(s.next_run_ms); t && *t <= now_ms && backlog < kMaxSkipCount;
                 t = next_run_after(s, *t)) {
                ++backlog;
            }
        }
        plan.fire = policy == MissedRuns::once;
        plan.skipped = plan.fire ? backlog - 1 : backlog;
    }
    if (plan.fire) {
        ++plan.next.fired;
        plan.next.last_fired_ms = plan.due_ms;
        if (plan.next.repeat) --plan.next.remaining;
    }
    bool runs_left = !plan.next.repeat || plan.next.remaining > 0;
    plan.done = !next || !runs_left;
    plan.next.next_run_ms = plan.done ? 0 : *next;
    return plan;
}

}  // namespace naq
