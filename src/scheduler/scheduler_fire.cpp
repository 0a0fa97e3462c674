// Firing: due runs leave the heap (io thread), are published in batches (publisher thread),
// then their schedules are advanced (advancer thread) and the outcome goes back to the heap.
//
// Publish before advance: every run's job carries Nats-Msg-Id = its fire job id, and the
// schedule's next run moves on only after the publish was acknowledged, by compare-and-set on
// the revision the run was planned from. A crash in between re-fires the same ids, which the
// jobs stream drops as duplicates. A lost compare-and-set means the schedule changed meanwhile
// (paused, modified, cancelled): the advancer re-reads it and the heap takes the fresh record.
#include <algorithm>
#include <chrono>

#include "naq/errors.hpp"
#include "naq/metrics.hpp"
#include "scheduler_impl.hpp"

namespace naq {

namespace {

constexpr int64_t kMaxRetryDelayMs = 30'000;

double since_ms(int64_t due_ms) {
    auto now = std::chrono::system_clock::now().time_since_epoch();
    return std::chrono::duration<double, std::milli>(now).count() - static_cast<double>(due_ms);
}

}  // namespace

void Scheduler::Impl::fire_due() {
    const int64_t now = now_ms();
    std::vector<Firing> batch;
    while (!heap.empty() && heap.begin()->first <= now && batch.size() < options.max_batch) {
        std::string key = heap.begin()->second;
        Entry& e = entries.at(key);
        heap.erase(heap.begin());
        e.heap_at = 0;
        e.in_flight = true;
        Firing f;
        f.key = key;
        f.revision = e.revision;
        f.before = e.schedule;
        try {
            f.plan = plan_fire(e.schedule, now, policy, options.catch_up);
        } catch (const Error& err) {  // e.g. a time zone this host does not know
            f.error = err.what();
        }
        batch.push_back(std::move(f));
    }
    {
        std::lock_guard lock(pipe_mutex);
        for (auto& f : batch) to_publish.push_back(std::move(f));
    }
    pipe_cv.notify_all();
    rearm();
}

Queue& Scheduler::Impl::queue_for(const std::string& name) {
    auto& q = queues[name];
    if (!q) q = std::make_unique<Queue>(name, config);
    return *q;
}

void Scheduler::Impl::publish_loop() {
    while (true) {
        std::vector<Firing> batch;
        {
            std::unique_lock lock(pipe_mutex);
            pipe_cv.wait(lock, [this] { return publisher_done || !to_publish.empty(); });
            if (to_publish.empty()) return;  // done and drained
            // Everything queued goes out together: runs that fell due while the last batch was
            // being published share one batch instead of queueing one by one.
            while (!to_publish.empty()) {
                batch.push_back(std::move(to_publish.front()));
                to_publish.pop_front();
            }
        }
        publish(batch);
        {
            std::lock_guard lock(pipe_mutex);
            for (auto& f : batch) to_advance.push_back(std::move(f));
        }
        pipe_cv.notify_all();
    }
}

void Scheduler::Impl::publish(std::vector<Firing>& batch) {
    std::map<std::string, std::vector<std::size_t>> by_queue;  // queue -> positions in batch
    for (std::size_t i = 0; i < batch.size(); ++i) {
        if (batch[i].plan.fire && batch[i].error.empty()) by_queue[batch[i].plan.next.queue].push_back(i);
    }
    for (const auto& [queue, members] : by_queue) {
        std::vector<JobSpec> specs;  // specs[k] is batch[members[k]]
        specs.reserve(members.size());
        for (std::size_t i : members) {
            const Schedule& s = batch[i].plan.next;
            EnqueueOptions o = s.options;
            o.job_id = fire_job_id(s, batch[i].plan.due_ms);
            specs.push_back({s.task, s.args, std::move(o)});
        }
        try {
            BatchResult r = queue_for(queue).enqueue_many(specs);
            for (std::size_t i : members) batch[i].published = true;
            for (const auto& f : r.failures) {
                if (f.index >= members.size()) continue;
                batch[members[f.index]].published = false;
                batch[members[f.index]].error = f.error;
            }
            std::lock_guard lock(stats_mutex);
            counters.duplicates += r.duplicates.size();
        } catch (const Error& e) {
            for (std::size_t i : members) batch[i].error = e.what();
        }
    }
    for (const Firing& f : batch) {
        if (!f.published) continue;
        double late = since_ms(f.plan.due_ms);
        if (!f.plan.missed) record_lateness(late);
        const Schedule& s = f.plan.next;
        metrics::record_schedule_fired(s.queue, Millis(static_cast<int64_t>(std::max(late, 0.0))));
        Event e;
        e.type = EventType::schedule_fired;
        e.job_id = fire_job_id(s, f.plan.due_ms);
        e.queue = s.queue;
        e.task = s.task;
        e.schedule_id = f.key;
        e.delay_ms = static_cast<int64_t>(late);
        events->publish(e);
    }
}

void Scheduler::Impl::advance_loop() {
    while (true) {
        std::vector<Firing> batch;
        {
            std::unique_lock lock(pipe_mutex);
            pipe_cv.wait(lock, [this] { return advancer_done || !to_advance.empty(); });
            if (to_advance.empty()) return;
            while (!to_advance.empty()) {
                batch.push_back(std::move(to_advance.front()));
                to_advance.pop_front();
            }
        }
        for (Firing& f : batch) {
            asio::post(io, [this, o = advance(f)] { on_outcome(o); });
        }
    }
}

Scheduler::Impl::Outcome Scheduler::Impl::advance(Firing& f) {
    const std::string& sid = f.key;
    Outcome out;
    out.key = sid;
    Schedule next = f.plan.next;
    bool erase = false;
    if (!f.error.empty() || (f.plan.fire && !f.published)) {
        if (f.error.empty()) f.error = "not published";
        next = f.before;  // the run stays due and is retried after a backoff
        next.failures += 1;
        next.last_error = f.error;
        if (next.failures >= config.scheduler.max_failures) {
            next.paused = true;
            log(spdlog::level::err, "[schedule {}] failed {} times in a row, paused: {}", sid, next.failures, f.error);
        } else {
            log(spdlog::level::warn, "[schedule {}] could not fire (attempt {}): {}", sid, next.failures, f.error);
        }
        out.not_before = now_ms() + std::min<int64_t>(1000LL << std::min(next.failures - 1, 5), kMaxRetryDelayMs);
        std::lock_guard lock(stats_mutex);
        ++counters.failures;
    } else {
        next.failures = 0;
        next.last_error.clear();
        erase = f.plan.done;
        std::lock_guard lock(stats_mutex);
        if (f.plan.fire) ++counters.fired;
        if (f.plan.fire && f.plan.missed) ++counters.missed_fired;
        counters.skipped += static_cast<uint64_t>(f.plan.skipped);
    }
    if (f.plan.skipped > 0) {
        log(spdlog::level::info, "[schedule {}] {} missed run(s) {}", sid, f.plan.skipped,
            f.plan.fire ? "collapsed into one run" : "skipped");
    }
    try {
        if (erase) {
            kv->erase(sid);
            out.kind = Outcome::Kind::erased;
            log(spdlog::level::debug, "[schedule {}] fired its last run, removed", sid);
        } else {
            out.revision = kv->update(sid, codec::encode(next), f.revision);
            out.schedule = std::move(next);
            out.kind = Outcome::Kind::advanced;
        }
    } catch (const Conflict&) {
        {
            std::lock_guard lock(stats_mutex);
            ++counters.conflicts;
        }
        log(spdlog::level::debug, "[schedule {}] changed while firing; re-reading", sid);
        out.kind = Outcome::Kind::reread;
        try {
            if (auto entry = kv->try_get(sid)) {
                out.schedule = codec::decode_schedule(entry->value);
                out.revision = entry->revision;
            }
        } catch (const Error& e) {
            log(spdlog::level::warn, "[schedule {}] re-read failed: {}", sid, e.what());
            out.kind = Outcome::Kind::unchanged;
            out.not_before = now_ms() + 1000;
        }
    } catch (const Error& err) {
        // Published but not advanced: the retry re-fires the same id, which is deduplicated.
        log(spdlog::level::warn, "[schedule {}] could not advance: {}", sid, err.what());
        out.kind = Outcome::Kind::unchanged;
        out.not_before = now_ms() + 1000;
    }
    return out;
}

void Scheduler::Impl::on_outcome(const Outcome& o) {
    auto it = entries.find(o.key);
    if (it == entries.end()) return;  // deleted meanwhile (the watch saw a cancel)
    Entry& e = it->second;
    e.in_flight = false;
    e.not_before = o.not_before;
    switch (o.kind) {
        case Outcome::Kind::erased: remove_entry(o.key, /*keep_tombstone=*/true); break;
        case Outcome::Kind::reread:
            if (!o.schedule) {
                remove_entry(o.key);
                break;
            }
            [[fallthrough]];
        case Outcome::Kind::advanced:
            if (o.revision > e.revision) {
                put_entry(o.key, *o.schedule, o.revision);
                break;
            }
            [[fallthrough]];
        case Outcome::Kind::unchanged:
            put_entry(o.key, e.schedule, e.revision);  // back into the heap as it stands
            break;
    }
    rearm();
}

void Scheduler::Impl::drain_pipeline() {
    {
        std::lock_guard lock(pipe_mutex);
        publisher_done = true;
    }
    pipe_cv.notify_all();
    if (publisher_thread.joinable()) publisher_thread.join();
    {
        std::lock_guard lock(pipe_mutex);
        advancer_done = true;
    }
    pipe_cv.notify_all();
    if (advancer_thread.joinable()) advancer_thread.join();
}

}  // namespace naq
