// The jobs and dead-letter streams, created once per process per deployment.
#include <mutex>
#include <set>

#include "naq/jetstream.hpp"
#include "naq/names.hpp"
#include "naq/queue.hpp"

namespace naq {

void ensure_job_streams(const Config& config) {
    static std::mutex mutex;
    static std::set<std::string> done;
    std::string key = config.jetstream.prefix;
    for (const auto& s : config.nats.servers) key += "|" + s;
    std::lock_guard lock(mutex);
    if (done.count(key) != 0) return;

    auto js = jetstream(config);
    StreamSpec jobs;
    jobs.name = names::jobs_stream(config);
    jobs.subjects = {names::all_queues_subject(config), names::all_queue_levels_subject(config)};
    jobs.retention = Retention::work_queue;  // a job leaves the stream when its worker acks it
    jobs.max_msgs = config.jetstream.max_jobs;
    jobs.max_bytes = config.jetstream.max_job_bytes;
    jobs.discard_new = true;  // a full queue refuses new jobs rather than dropping old ones
    jobs.duplicate_window = config.jetstream.duplicate_window;
    jobs.storage = config.jetstream.storage;
    jobs.replicas = config.jetstream.replicas;
    jobs.description = "naq jobs";
    js.ensure_stream(jobs);

    StreamSpec failed;
    failed.name = names::failed_stream(config);
    failed.subjects = {names::all_failed_subject(config)};
    failed.retention = Retention::limits;  // kept until requeued or purged
    failed.storage = config.jetstream.storage;
    failed.replicas = config.jetstream.replicas;
    failed.description = "naq dead letters";
    js.ensure_stream(failed);
    done.insert(key);
}

}  // namespace naq
