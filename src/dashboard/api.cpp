#include "dashboard/api.hpp"

#include <algorithm>

#include "core/json_fields.hpp"
#include "core/lease_record.hpp"
#include "naq/codec.hpp"
#include "naq/errors.hpp"
#include "naq/events.hpp"
#include "naq/inspect_json.hpp"
#include "naq/kv_store.hpp"
#include "naq/names.hpp"
#include "naq/queue.hpp"
#include "naq/queue_stats.hpp"
#include "naq/results.hpp"
#include "naq/schedule_store.hpp"
#include "naq/workers.hpp"

namespace naq::dashboard {

namespace {

// The scheduler holding the lease, and until when, or nulls.
Json scheduler_json(const Config& config) {
    Json out{{"leader", nullptr}, {"expires_at", nullptr}};
    auto entry = kv_store_reader(Bucket::scheduler_lock, config).try_get(kLeaseKey);
    if (!entry) return out;
    try {
        LeaseRecord lease = decode_lease(entry->value);
        const int64_t expires = lease.renewed_ms + config.scheduler.lock_ttl.count();
        if (!lease.released && expires > now_ms()) {
            out["leader"] = lease.holder;
            out["expires_at"] = expires;
        }
    } catch (const SerializationError&) {
        // not a lease naq wrote: no leader to show
    }
    return out;
}

// Event messages read at most for one job's timeline (a few hundred milliseconds).
constexpr uint64_t kJobEventMessages = 20'000;

std::string body_string(const Json& body, const char* field) {
    return json_fields::opt_string(body, field, "request body");
}

}  // namespace

Json Api::overview() const {
    const auto stats = queue_stats(config_);
    uint64_t dead = 0;
    for (const auto& s : stats) dead += s.dead;
    const auto workers = WorkerStatusReader(config_).list();
    const auto busy = std::count_if(workers.begin(), workers.end(), [](const auto& w) { return !w.in_flight.empty(); });
    return {{"now", now_ms()},
            {"queues", queue_stats_json(stats)},
            {"workers", {{"online", workers.size()}, {"busy", busy}}},
            {"scheduler", scheduler_json(config_)},
            {"dead_total", dead},
            {"history", history_.json()}};
}

Json Api::queue(const std::string& name) const {
    names::check_token(name, "queue name");
    for (const auto& s : queue_stats(config_)) {
        if (s.counts.queue == name) return {{"stats", queue_stats_json(s)}, {"recent", feed_.recent_jobs(name)}};
    }
    throw NotFound("no queue '" + name + "'");
}

Json Api::purge_queue(const std::string& name) const {
    names::check_token(name, "queue name");
    return {{"queue", name}, {"purged", Queue(name, config_).purge()}};
}

Json Api::pause_queue(const std::string& name, const Json& body) const {
    names::check_token(name, "queue name");
    std::string reason = body.is_object() ? body_string(body, "reason") : std::string();
    bool changed = Queue(name, config_).pause(reason);
    return {{"queue", name}, {"paused", true}, {"changed", changed}};
}

Json Api::resume_queue(const std::string& name) const {
    names::check_token(name, "queue name");
    return {{"queue", name}, {"paused", false}, {"changed", Queue(name, config_).resume()}};
}

Json Api::job(const std::string& id) const {
    names::check_job_id(id);
    Json out{
        {"record", nullptr}, {"events", Json::array()}, {"dead_letter", nullptr}, {"dependents", feed_.dependents(id)}};
    std::optional<JobStatus> record = ResultStore(config_).try_status(id);
    if (record) out["record"] = codec::to_json(*record);
    // A bounded read: from its enqueue time (EventStream narrows to it) to a minute past its end,
    // and never more than kJobEventMessages messages of a busy queue.
    EventFilter filter{.job_id = id, .max_messages = kJobEventMessages};
    if (record && record->finished_at_ms > 0) filter.until_ms = record->finished_at_ms + 60'000;
    bool truncated = false;
    for (const auto& e : read_events(config_, filter, &truncated)) {
        Json j = event_to_json(e);
        j["seq"] = e.sequence;
        out["events"].push_back(std::move(j));
    }
    out["events_complete"] = !truncated;
    // The dead letter is looked up only for a dead job (or one without a record), in its
    // queue: a page of the dead-letter stream, never all of it.
    if (!record || record->state == JobState::dead) {
        DeadLetterFilter filter;
        if (record) filter.queue = record->queue;
        uint64_t after = 0;
        for (int pages = 0; pages < 4 && out["dead_letter"].is_null(); ++pages) {
            DeadLetterPage page = dead_letter_page(config_, filter, after, 500);
            for (const auto& d : page.items) {
                if (d.id == id) out["dead_letter"] = dead_letter_json(d);
            }
            if (!page.next) break;
            after = *page.next;
        }
    }
    if (!record && out["events"].empty() && out["dead_letter"].is_null()) throw NotFound("no job '" + id + "'");
    return out;
}

Json Api::cancel_job(const std::string& id) const {
    names::check_job_id(id);
    CancelResult r = naq::cancel_job(id, config_);
    return {{"id", id}, {"cancelled", r.requested}, {"state", to_string(r.state_before)}};
}

Json Api::dead_letters(const DeadLetterFilter& filter, uint64_t after, std::size_t limit) const {
    DeadLetterPage page = dead_letter_page(config_, filter, after, std::clamp<std::size_t>(limit, 1, 500));
    Json items = Json::array();
    for (const auto& d : page.items) items.push_back(dead_letter_json(d));
    return {{"items", std::move(items)}, {"next", page.next ? Json(*page.next) : Json()}, {"total", page.total}};
}

Json Api::requeue(const Json& body) const {
    DeadLetters dead(config_);
    const std::string job_id = body_string(body, "job_id");
    if (!job_id.empty()) {
        dead.requeue(job_id);
        return {{"requeued", 1}};
    }
    if (!body.value("all", false)) throw InvalidArgument("say which: {\"job_id\": …} or {\"all\": true, …}");
    DeadLetterFilter filter{body_string(body, "queue"), body_string(body, "task"), body_string(body, "reason")};
    std::size_t requeued = 0;
    for (uint64_t after = 0;;) {
        // Page by page: a letter requeued is deleted, and the next page starts after the last one read.
        DeadLetterPage page = dead_letter_page(config_, filter, after, 500);
        for (const auto& d : page.items) {
            dead.requeue_letter(d);
            ++requeued;
        }
        if (!page.next) break;
        after = *page.next;
    }
    return {{"requeued", requeued}};
}

Json Api::purge_dead(const Json& body) const {
    return {{"purged", DeadLetters(config_).purge(body_string(body, "queue"))}};
}

Json Api::schedules() const {
    Json out = Json::array();
    for (const auto& s : ScheduleStore(config_).list()) out.push_back(schedule_json(s));
    return out;
}

Json Api::schedule_action(const std::string& id, const std::string& action) const {
    ScheduleStore store(config_);
    if (action == "pause") return schedule_json(store.pause(id));
    if (action == "resume") return schedule_json(store.resume(id));
    if (action == "cancel") {
        store.cancel(id);
        return {{"id", id}, {"cancelled", true}};
    }
    throw InvalidArgument("unknown schedule action '" + action + "' (pause, resume, cancel)");
}

Json Api::workers() const { return workers_json(WorkerStatusReader(config_).list()); }

}  // namespace naq::dashboard
