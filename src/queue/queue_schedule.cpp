// Queue::enqueue_at / enqueue_in / schedule: store a schedule that `naq scheduler` fires.
#include <spdlog/spdlog.h>

#include <cstdio>

#include "naq/errors.hpp"
#include "naq/queue.hpp"
#include "naq/schedule.hpp"
#include "naq/schedule_store.hpp"

namespace naq {

namespace {

int64_t ms_of(std::chrono::system_clock::time_point tp) {
    return std::chrono::duration_cast<Millis>(tp.time_since_epoch()).count();
}

// Stores `s`; with a caller-chosen id that already exists, keeps the stored one (idempotent).
std::string store(const Config& config, Schedule s) {
    const bool chosen = !s.id.empty();
    std::string id = s.id;
    try {
        return ScheduleStore(config).add(std::move(s)).id;
    } catch (const Conflict&) {
        if (!chosen) throw;
        spdlog::debug("[schedule {}] exists already: kept as it is", id);
        return id;
    }
}

// A schedule of `task` on `queue`, its job options checked exactly as enqueue() would.
Schedule schedule_of(const Queue& queue, const std::string& task, const Json& args, const EnqueueOptions& options) {
    if (options.unique_for) {
        throw InvalidArgument("unique_for applies to jobs enqueued now, not to delayed or scheduled ones");
    }
    queue.make_job(task, args, options);
    Schedule s;
    s.queue = queue.name();
    s.task = task;
    s.args = args.is_null() ? Json::object() : args;
    s.options = options;
    return s;
}

// A recurring schedule: every run is a job of its own, with an id of its own.
Schedule recurring_schedule_of(const Queue& queue, const std::string& task, const Json& args,
                               const EnqueueOptions& options, const ScheduleOptions& so) {
    EnqueueOptions job_options = options;
    job_options.job_id.clear();
    Schedule s = schedule_of(queue, task, args, job_options);
    s.id = so.id;
    s.repeat = so.repeat;
    s.paused = so.paused;
    return s;
}

// A one-shot schedule; its job keeps the schedule id, so `naq result <id>` finds it.
std::string delayed(const Queue& queue, int64_t at, const std::string& task, const Json& args,
                    const EnqueueOptions& options) {
    Schedule s = schedule_of(queue, task, args, options);
    s.id = options.job_id;
    s.kind = ScheduleKind::once;
    s.next_run_ms = at;
    return store(queue.config(), std::move(s));
}

}  // namespace

std::string Queue::enqueue_at(std::chrono::system_clock::time_point when, const std::string& task, const Json& args,
                              const EnqueueOptions& options) {
    int64_t at = ms_of(when);
    int64_t now = now_ms();
    if (at < now) {
        char ago[32];
        std::snprintf(ago, sizeof(ago), "%.3f", static_cast<double>(now - at) / 1000.0);
        throw InvalidArgument(std::string("the run time is in the past (") + ago + " s ago)");
    }
    return delayed(*this, at, task, args, options);
}

std::string Queue::enqueue_in(Millis delay, const std::string& task, const Json& args, const EnqueueOptions& options) {
    if (delay < Millis(0)) throw InvalidArgument("the delay must not be negative");
    return delayed(*this, now_ms() + delay.count(), task, args, options);
}

std::string Queue::schedule(const Cron& cron, const std::string& task, const Json& args, const EnqueueOptions& options,
                            const ScheduleOptions& so) {
    Schedule s = recurring_schedule_of(*this, task, args, options, so);
    s.kind = ScheduleKind::cron;
    s.cron = cron.expr;
    s.tz = cron.tz.empty() ? "UTC" : cron.tz;
    if (so.start) {
        auto parsed = CronExpression::parse(cron.expr);
        auto first = parsed.next_after(*so.start - std::chrono::milliseconds(1), s.tz);
        if (!first) throw InvalidArgument("cron \"" + cron.expr + "\" never fires after the start time");
        s.next_run_ms = ms_of(*first);
    }
    return store(config_, std::move(s));
}

std::string Queue::schedule(const Every& every, const std::string& task, const Json& args,
                            const EnqueueOptions& options, const ScheduleOptions& so) {
    Schedule s = recurring_schedule_of(*this, task, args, options, so);
    s.kind = ScheduleKind::interval;
    s.interval = every.interval;
    if (so.start) s.next_run_ms = ms_of(*so.start);
    return store(config_, std::move(s));
}

}  // namespace naq
