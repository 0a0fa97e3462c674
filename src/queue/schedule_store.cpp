// ScheduleStore: the schedules bucket through one scoped KV handle. Writes are checked before
// anything is stored and changes use compare-and-set on the key's revision, so a change made
// while the scheduler advances the same schedule is retried on the fresh record, never lost.
#include <spdlog/spdlog.h>

#include <algorithm>

#include "naq/errors.hpp"
#include "naq/events.hpp"
#include "naq/kv_store.hpp"
#include "naq/schedule.hpp"
#include "naq/schedule_store.hpp"

namespace naq {

namespace {

constexpr int kCasAttempts = 20;

int64_t ms_of(std::chrono::system_clock::time_point tp) {
    return std::chrono::duration_cast<Millis>(tp.time_since_epoch()).count();
}

[[noreturn]] void not_found(const std::string& id) { throw NotFound("schedule '" + id + "' not found"); }

// The first run of a new schedule, or of one whose timing was changed, counted from `now`.
int64_t first_run(const Schedule& s, int64_t now) {
    if (s.kind == ScheduleKind::interval) return now + s.interval.count();
    Schedule probe = s;
    probe.next_run_ms = now;
    auto next = first_run_after(probe, now);
    if (!next) throw InvalidArgument("cron \"" + s.cron + "\" never fires");
    return *next;
}

// Reads, changes and writes back one schedule with compare-and-set, retrying on a lost race.
template <class Change>
Schedule mutate(const Config& config, const std::string& id, Change&& change) {
    check_schedule_id(id);
    auto kv = kv_store(Bucket::scheduled_jobs, config);
    for (int attempt = 0; attempt < kCasAttempts; ++attempt) {
        auto entry = kv.try_get(id);
        if (!entry) not_found(id);
        Schedule s = codec::decode_schedule(entry->value);
        change(s);
        s.updated_at_ms = now_ms();
        validate(s);
        try {
            kv.update(id, codec::encode(s), entry->revision);
            return s;
        } catch (const Conflict&) {
            spdlog::debug("[schedule {}] changed concurrently, retrying", id);
        }
    }
    throw Conflict("schedule '" + id + "' keeps changing concurrently; try again");
}

void publish_event(const Config& config, EventType type, const Schedule& s) {
    Event e;
    e.type = type;
    e.schedule_id = s.id;
    e.queue = s.queue;
    e.task = s.task;
    EventPublisher(config).publish(e);  // never throws: events never stop a change
}

}  // namespace

ScheduleStore::ScheduleStore(const Config& config) : config_(config) {}

Schedule ScheduleStore::add(Schedule s) const {
    if (s.id.empty()) s.id = new_job_id();
    s.options.job_id.clear();
    int64_t now = now_ms();
    s.created_at_ms = now;
    s.updated_at_ms = now;
    if (s.kind == ScheduleKind::cron) {
        CronExpression::parse(s.cron);  // a clear error before computing any run
        check_time_zone(s.tz);
    }
    if (s.kind != ScheduleKind::once && s.next_run_ms == 0) s.next_run_ms = first_run(s, now);
    if (s.kind == ScheduleKind::once) s.repeat.reset();
    if (s.repeat) s.remaining = *s.repeat;
    validate(s);
    auto kv = kv_store(Bucket::scheduled_jobs, config_);
    try {
        kv.create(s.id, codec::encode(s));
    } catch (const Conflict&) {
        throw Conflict("schedule '" + s.id + "' already exists");
    }
    spdlog::debug("[schedule {}] added: {} {} on {}, next run {}", s.id, s.task, describe(s), s.queue, s.next_run_ms);
    return s;
}

Schedule ScheduleStore::get(const std::string& id) const {
    auto s = try_get(id);
    if (!s) not_found(id);
    return *s;
}

std::optional<Schedule> ScheduleStore::try_get(const std::string& id) const {
    check_schedule_id(id);
    auto entry = kv_store(Bucket::scheduled_jobs, config_).try_get(id);
    if (!entry) return std::nullopt;
    return codec::decode_schedule(entry->value);
}

std::vector<Schedule> ScheduleStore::list() const {
    // One watch reads every current value in a single stream (no get per key).
    auto watcher = kv_store(Bucket::scheduled_jobs, config_).watch("*");
    std::vector<Schedule> out;
    for (const KvEntry& entry : watcher.current(config_.nats.request_timeout, "listing schedules")) {
        if (entry.op != KvOp::put) continue;
        try {
            out.push_back(codec::decode_schedule(entry.value));
        } catch (const SerializationError& e) {
            spdlog::warn("[schedule {}] unreadable record skipped: {}", entry.key, e.what());
        }
    }
    std::sort(out.begin(), out.end(), [](const Schedule& a, const Schedule& b) {
        if (a.paused != b.paused) return !a.paused;
        if (a.next_run_ms != b.next_run_ms) return a.next_run_ms < b.next_run_ms;
        return a.id < b.id;
    });
    return out;
}

Schedule ScheduleStore::pause(const std::string& id) const {
    Schedule s = mutate(config_, id, [](Schedule& s) { s.paused = true; });
    publish_event(config_, EventType::schedule_paused, s);
    return s;
}

Schedule ScheduleStore::resume(const std::string& id) const {
    int64_t now = now_ms();
    Schedule resumed = mutate(config_, id, [now](Schedule& s) {
        if (s.paused && s.kind != ScheduleKind::once && s.next_run_ms <= now) {
            // Runs that fell due while paused are not "missed": they are skipped.
            if (auto next = first_run_after(s, now)) s.next_run_ms = *next;
        }
        s.paused = false;
        s.failures = 0;
        s.last_error.clear();
    });
    publish_event(config_, EventType::schedule_resumed, resumed);
    return resumed;
}

Schedule ScheduleStore::modify(const std::string& id, const ScheduleChange& c) const {
    int timings = (c.cron ? 1 : 0) + (c.every ? 1 : 0) + (c.at ? 1 : 0);
    if (timings > 1) throw InvalidArgument("give at most one of cron, every and at");
    if (c.at && ms_of(*c.at) < now_ms()) throw InvalidArgument("the new run time is in the past");
    if (c.repeat && *c.repeat < 0) throw InvalidArgument("repeat must be at least 1 (0 = forever)");
    if (c.cron) {
        CronExpression::parse(c.cron->expr);
        check_time_zone(c.cron->tz);
    }
    if (c.tz) check_time_zone(*c.tz);
    int64_t now = now_ms();
    return mutate(config_, id, [&](Schedule& s) {
        bool retime = false;
        if (c.cron) {
            s.kind = ScheduleKind::cron;
            s.cron = c.cron->expr;
            s.tz = c.cron->tz;
            s.interval = Millis(0);
            retime = true;
        }
        if (c.every) {
            s.kind = ScheduleKind::interval;
            s.interval = c.every->interval;
            s.cron.clear();
            s.tz = "UTC";
            retime = true;
        }
        if (c.at) {
            s.kind = ScheduleKind::once;
            s.next_run_ms = ms_of(*c.at);
            s.cron.clear();
            s.tz = "UTC";
            s.interval = Millis(0);
            s.repeat.reset();
        }
        if (c.tz) {
            if (s.kind != ScheduleKind::cron) throw InvalidArgument("a time zone applies to cron schedules only");
            s.tz = *c.tz;
            retime = true;
        }
        if (retime) {
            validate(s);  // a clear error (e.g. interval too short) before computing the next run
            s.next_run_ms = first_run(s, now);
        }
        if (c.repeat) {
            if (s.kind == ScheduleKind::once) throw InvalidArgument("repeat applies to recurring schedules only");
            if (*c.repeat == 0) {
                s.repeat.reset();
            } else {
                s.repeat = *c.repeat;
                s.remaining = *c.repeat;  // that many more runs from now
            }
        }
        if (c.queue) s.queue = *c.queue;
        if (c.task) s.task = *c.task;
        if (c.args) s.args = *c.args;
        if (c.max_attempts) s.options.max_attempts = *c.max_attempts;
        if (c.timeout) s.options.timeout = *c.timeout;
    });
}

void ScheduleStore::cancel(const std::string& id) const {
    check_schedule_id(id);
    auto kv = kv_store(Bucket::scheduled_jobs, config_);
    if (!kv.try_get(id)) not_found(id);
    kv.erase(id);
    spdlog::debug("[schedule {}] cancelled", id);
}

}  // namespace naq
