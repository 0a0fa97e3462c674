#include "core/role_permissions.hpp"

#include "naq/job.hpp"
#include "naq/names.hpp"

namespace naq::detail {

namespace {

// JetStream API subjects ($JS.API.<what>.<stream>[.<more>]) and KV subjects of naq's streams.
std::string api(std::string_view what, std::string_view stream) {
    return "$JS.API." + std::string(what) + "." + std::string(stream);
}
std::string kv_stream(const std::string& bucket) { return "KV_" + bucket; }
std::string kv_keys(const std::string& bucket) { return "$KV." + bucket + ".>"; }

// Reading a bucket's keys: direct get (and the older message get).
void read_bucket(SubjectPermissions& p, const std::string& bucket) {
    p.publish.push_back(api("DIRECT.GET", kv_stream(bucket)) + ".>");
    p.publish.push_back(api("STREAM.MSG.GET", kv_stream(bucket)));
}

// An ephemeral consumer on a stream (a KV watch, an events replay): created, read, deleted,
// delivered to the inbox or to cnats' own deliver subject.
void watch_stream(SubjectPermissions& p, const std::string& stream) {
    p.publish.push_back(api("CONSUMER.CREATE", stream));
    p.publish.push_back(api("CONSUMER.CREATE", stream) + ".>");
    p.publish.push_back(api("CONSUMER.DELETE", stream) + ".>");
    p.publish.push_back(api("CONSUMER.INFO", stream) + ".>");
    p.publish.push_back(api("CONSUMER.MSG.NEXT", stream) + ".>");
    p.subscribe.push_back("$JSC.CI.*." + stream + ".>");
}

// Looking up (and for owners creating or updating) the streams a role uses.
void streams(SubjectPermissions& p, const std::vector<std::string>& names, bool may_create) {
    for (const auto& s : names) {
        p.publish.push_back(api("STREAM.INFO", s));
        if (may_create) {
            p.publish.push_back(api("STREAM.CREATE", s));
            p.publish.push_back(api("STREAM.UPDATE", s));
        }
    }
}

// Each queue of `queues` (or all) as a subject built by `subject(config, queue)`.
template <class SubjectOf>
void per_queue(std::vector<std::string>& out, const Config& c, const std::vector<std::string>& queues,
               SubjectOf subject) {
    if (queues.empty()) {
        out.push_back(subject(c, "*"));
        return;
    }
    for (const auto& q : queues) out.push_back(subject(c, q));
}

// A queue's jobs of normal priority, and its high and low levels: "<prefix>.queue.<queue>.*".
std::string queue_jobs(const Config& c, std::string_view queue) { return names::queue_subject(c, queue); }
std::string queue_levels(const Config& c, std::string_view queue) { return names::queue_subject(c, queue) + ".*"; }

// Every event of a queue (or pseudo-queue): "<prefix>.events.<queue>.*.*".
std::string queue_events(const Config& c, std::string_view queue) { return names::events_filter(c, queue, "", ""); }

}  // namespace

std::optional<Role> role_from_string(std::string_view name) {
    if (name == "producer") return Role::producer;
    if (name == "worker") return Role::worker;
    if (name == "scheduler") return Role::scheduler;
    if (name == "operator") return Role::operator_;
    if (name == "admin") return Role::admin;
    return std::nullopt;
}

SubjectPermissions role_permissions(const Config& c, Role role, const std::vector<std::string>& queues) {
    SubjectPermissions p;
    const std::string jobs = names::jobs_stream(c);
    const std::string failed = names::failed_stream(c);
    const std::string events = names::events_stream(c);
    const std::string status = names::job_status_bucket(c);
    const std::string workers = names::workers_bucket(c);
    const std::string schedules = names::scheduled_jobs_bucket(c);
    const std::string lease = names::scheduler_lock_bucket(c);
    const std::string cancels = names::cancellations_bucket(c);
    const std::string queue_controls = names::queues_bucket(c);
    const std::string unique = names::unique_bucket(c);
    const std::string batches = names::batches_bucket(c);
    const std::string limits = names::limits_bucket(c);
    // A queue's unique-job keys: "$KV.<unique bucket>.<queue>.<hash>".
    auto unique_keys = [&unique](const Config&, std::string_view q) {
        return "$KV." + unique + "." + std::string(q) + ".*";
    };
    p.publish = {"$JS.API.INFO", "$JS.API.STREAM.NAMES"};
    p.subscribe = {"_INBOX.>"};
    switch (role) {
        case Role::producer:
            streams(p, {jobs, failed, events, kv_stream(status), kv_stream(cancels)}, false);
            per_queue(p.publish, c, queues, queue_jobs);
            per_queue(p.publish, c, queues, queue_levels);
            per_queue(p.publish, c, queues, queue_events);
            p.publish.push_back(kv_keys(status));
            p.publish.push_back(kv_keys(cancels));
            read_bucket(p, status);
            watch_stream(p, kv_stream(status));     // enqueue --wait, result --wait
            streams(p, {kv_stream(unique)}, true);  // unique jobs: take a key, look at its holder
            per_queue(p.publish, c, queues, unique_keys);
            read_bucket(p, unique);
            streams(p, {kv_stream(batches)}, true);  // batches with a callback: create, seal
            p.publish.push_back(kv_keys(batches));
            read_bucket(p, batches);
            break;
        case Role::worker:
            streams(p,
                    {jobs, failed, events, kv_stream(status), kv_stream(workers), kv_stream(cancels),
                     kv_stream(queue_controls)},
                    true);
            for (Priority level : kPriorities) {  // a consumer per priority level
                for (const char* what : {"CONSUMER.DURABLE.CREATE", "CONSUMER.MSG.NEXT"}) {
                    per_queue(p.publish, c, queues, [what, level](const Config& cc, std::string_view q) {
                        return api(what, names::jobs_stream(cc)) + "." + names::worker_consumer(cc, q, level);
                    });
                }
            }
            p.publish.push_back(api("CONSUMER.INFO", jobs) + ".>");
            p.publish.push_back("$JS.ACK." + jobs + ".>");
            per_queue(p.publish, c, queues, queue_jobs);  // requeues
            per_queue(p.publish, c, queues, queue_levels);
            per_queue(p.publish, c, queues, names::failed_subject);
            per_queue(p.publish, c, queues, queue_events);
            p.publish.push_back(queue_events(c, names::kWorkerEventsQueue));
            p.publish.push_back(kv_keys(status));
            p.publish.push_back(kv_keys(workers));
            read_bucket(p, status);  // dependencies
            watch_stream(p, kv_stream(status));
            watch_stream(p, kv_stream(cancels));
            watch_stream(p, kv_stream(queue_controls));  // pause / resume
            streams(p, {kv_stream(unique)}, true);       // unique jobs: give a finished job's key back
            per_queue(p.publish, c, queues, unique_keys);
            read_bucket(p, unique);
            streams(p, {kv_stream(batches)}, true);  // count a finished job in its batch
            p.publish.push_back(kv_keys(batches));
            read_bucket(p, batches);
            streams(p, {kv_stream(limits)}, true);  // queue limits: rate windows, running-jobs claims
            p.publish.push_back(kv_keys(limits));
            read_bucket(p, limits);
            watch_stream(p, kv_stream(limits));
            break;
        case Role::scheduler:
            streams(p, {jobs, failed, events, kv_stream(status)}, false);
            streams(p, {kv_stream(schedules), kv_stream(lease)}, true);
            per_queue(p.publish, c, queues, queue_jobs);
            per_queue(p.publish, c, queues, queue_levels);
            per_queue(p.publish, c, queues, queue_events);
            p.publish.push_back(queue_events(c, names::kSchedulerEventsQueue));
            p.publish.push_back(kv_keys(status));
            p.publish.push_back(kv_keys(schedules));
            p.publish.push_back(kv_keys(lease));
            read_bucket(p, schedules);
            read_bucket(p, lease);
            watch_stream(p, kv_stream(schedules));
            break;
        case Role::operator_:
            streams(p,
                    {jobs, failed, events, kv_stream(status), kv_stream(workers), kv_stream(schedules),
                     kv_stream(queue_controls), kv_stream(batches)},
                    false);
            p.publish.push_back(api("CONSUMER.NAMES", jobs));
            p.publish.push_back(api("CONSUMER.LIST", jobs));
            p.publish.push_back(api("CONSUMER.INFO", jobs) + ".>");
            read_bucket(p, status);
            read_bucket(p, schedules);
            read_bucket(p, batches);  // naq batch
            p.publish.push_back(api("STREAM.MSG.GET", failed));
            p.publish.push_back(api("DIRECT.GET", failed) + ".>");
            watch_stream(p, kv_stream(status));
            watch_stream(p, kv_stream(workers));
            watch_stream(p, kv_stream(schedules));
            watch_stream(p, kv_stream(queue_controls));  // naq queues: paused or not
            watch_stream(p, events);
            watch_stream(p, failed);
            break;
        case Role::admin: {
            // Every subject of the prefix, and every JetStream API call on its streams and
            // buckets (purge, message delete, consumers), named one by one: the API subjects
            // carry no prefix, and a wildcard stream would reach other prefixes' and tenants'.
            p.publish.push_back(c.jetstream.prefix + ".>");
            p.publish.push_back("$JS.API.STREAM.LIST");
            std::vector<std::string> owned = {jobs, failed, events};
            for (const std::string& bucket : {status, workers, schedules, lease, cancels, queue_controls, unique,
                                              batches, limits, names::results_bucket(c)}) {
                owned.push_back(kv_stream(bucket));
                p.publish.push_back(kv_keys(bucket));
            }
            for (const std::string& s : owned) {
                p.publish.push_back(api("STREAM.*", s));           // info, create, update, purge, delete
                p.publish.push_back(api("STREAM.MSG.*", s));       // get, delete
                p.publish.push_back(api("CONSUMER.*", s));         // create, names, list
                p.publish.push_back(api("CONSUMER.*", s) + ".>");  // info, delete, create with a filter
                p.publish.push_back(api("CONSUMER.DURABLE.CREATE", s) + ".>");
                p.publish.push_back(api("CONSUMER.MSG.NEXT", s) + ".>");
                p.publish.push_back(api("DIRECT.GET", s));
                p.publish.push_back(api("DIRECT.GET", s) + ".>");
                p.publish.push_back("$JS.ACK." + s + ".>");
                p.subscribe.push_back("$JSC.CI.*." + s + ".>");
            }
            break;
        }
    }
    return p;
}

std::string to_server_config(const SubjectPermissions& permissions) {
    auto list = [](const std::vector<std::string>& subjects) {
        std::string out;
        for (const auto& s : subjects) out += "      \"" + s + "\"\n";
        return out;
    };
    return "permissions: {\n  publish: {\n    allow: [\n" + list(permissions.publish) +
           "    ]\n  }\n  subscribe: {\n    allow: [\n" + list(permissions.subscribe) + "    ]\n  }\n}\n";
}

}  // namespace naq::detail
