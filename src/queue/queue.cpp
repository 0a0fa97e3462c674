#include "naq/queue.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <iterator>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include "core/enqueue_batch.hpp"
#include "core/job_limits.hpp"
#include "naq/async_publisher.hpp"
#include "naq/codec.hpp"
#include "naq/errors.hpp"
#include "naq/events.hpp"
#include "naq/jetstream.hpp"
#include "naq/names.hpp"
#include "queue/batches.hpp"
#include "queue/unique_claims.hpp"
#include "results/job_records.hpp"

namespace naq {

namespace {

// The "queued" record goes out before the job on the same connection, so the server stores it
// before any worker can see the job and write "running".
void record_queued(const detail::JobRecords& records, const Job& job) {
    JobState state = job.depends_on.empty() ? JobState::queued : JobState::waiting;
    records.create_first(detail::status_for(job, state, job.enqueued_at_ms));
}

// The job's envelope, refused here when the server would refuse it: nothing (no record, no
// event) may be left behind for a job that never existed.
std::string encode_within(const Job& job, int64_t max_payload) {
    std::string envelope = codec::encode(job);
    if (max_payload > 0 && static_cast<int64_t>(envelope.size()) > max_payload) {
        throw InvalidArgument("job " + job.id + " is " + std::to_string(envelope.size()) +
                              " bytes, over the server's max_payload of " + std::to_string(max_payload));
    }
    return envelope;
}

}  // namespace

Queue::Queue(std::string name, const Config& config)
    : name_(std::move(name)),
      config_(config),
      subjects_{names::queue_subject(config, name_, Priority::high), names::queue_subject(config, name_),
                names::queue_subject(config, name_, Priority::low)} {
    names::check_token(name_, "queue name");
    ensure_job_streams(config_);
}

Job Queue::make_job(const std::string& task, const Json& args, const EnqueueOptions& options) const {
    return make_job(task, args, options, {});
}

Job Queue::make_job(const std::string& task, const Json& args, const EnqueueOptions& options,
                    std::string generated_id) const {
    if (task.empty()) throw InvalidArgument("task name must not be empty");
    Job job;
    if (!options.job_id.empty()) {
        job.id = options.job_id;
    } else {
        job.id = generated_id.empty() ? new_job_id() : std::move(generated_id);
    }
    names::check_job_id(job.id);
    for (const auto& dep : options.depends_on) names::check_job_id(dep);
    job.queue = name_;
    job.task = task;
    job.args = args.is_null() ? Json::object() : args;
    job.enqueued_at_ms = now_ms();
    const auto& d = config_.queue;
    job.max_attempts = options.max_attempts.value_or(d.max_attempts);
    if (options.backoff) {
        job.backoff = *options.backoff;
    } else {
        job.backoff.kind = d.backoff;
        job.backoff.base = d.backoff_base;
        job.backoff.max = d.backoff_max;
        job.backoff.jitter = d.backoff_jitter;
    }
    job.timeout = options.timeout.value_or(d.job_timeout);
    job.result_ttl = options.result_ttl;
    job.depends_on = options.depends_on;
    job.priority = options.priority;
    if (auto violation = detail::job_limit_violation(job)) throw InvalidArgument("job " + job.id + ": " + *violation);
    // After the limits: the args are within the depth and size a job may have.
    if (options.unique_for) {
        job.unique = detail::unique_claim_for(config_, name_, task, job.args.json(), options, job.enqueued_at_ms);
    }
    return job;
}

std::string Queue::enqueue(const std::string& task, const Json& args, const EnqueueOptions& options) {
    return submit(make_job(task, args, options)).id;
}

EnqueueResult Queue::submit(const Job& job) {
    auto js = jetstream(config_);
    const std::string envelope = encode_within(job, js.connection().max_payload());
    detail::JobRecords records(config_);
    std::optional<detail::UniqueClaims> claims;
    if (job.unique) {
        claims.emplace(config_);
        detail::ClaimOutcome claim = claims->take(job, records);
        if (!claim.taken) return turned_away(job, claim.holder);
    }
    try {
        record_queued(records, job);
        // Before the job, on the same connection: it reaches the stream before the worker's events.
        EventPublisher(config_).publish(job_event(EventType::enqueued, job));
        PublishOptions po;
        po.msg_id = job.id;
        PubAck ack = js.publish(subject(job.priority), envelope, po);
        if (ack.duplicate) spdlog::debug("job {} on {}: duplicate within the dedup window", job.id, name_);
        return {job.id, ack.duplicate};
    } catch (...) {
        // Not stored (or not known to be): the key must not keep the next enqueue out.
        if (claims) claims->give_back(job);
        throw;
    }
}

EnqueueResult Queue::turned_away(const Job& job, const std::string& holder) const {
    spdlog::debug("job {} on {}: unique key {} is held by job {}: not enqueued", job.id, name_, job.unique->key,
                  holder);
    Event e = job_event(EventType::deduplicated, job);
    e.job_id = holder;
    e.data = {{"key", job.unique->key}};
    EventPublisher(config_).publish(std::move(e));
    return {holder, true, true};
}

BatchResult Queue::enqueue_many(const std::vector<JobSpec>& jobs, std::size_t window) {
    return enqueue_many(jobs, BatchOptions{.window = window});
}

BatchResult Queue::enqueue_many(const std::vector<JobSpec>& jobs, const BatchOptions& options) {
    BatchResult result;
    result.ids.resize(jobs.size());
    // A batch with a callback: its record first, so no job of it can finish uncounted; the jobs
    // that are not enqueued (skipped) are counted when it is sealed, after the last publish.
    std::optional<detail::Batches> batches;
    std::vector<uint32_t> skipped;
    std::unordered_set<std::string> batch_ids_used;  // a job id twice in one batch: the second is refused
    if (options.on_complete) {
        batches.emplace(config_);
        result.batch_id = start_batch(*batches, jobs.size(), *options.on_complete);
    }
    detail::JobRecords records(config_);
    const int64_t max_payload = connection(config_).max_payload();
    EventPublisher events(config_);
    AsyncPublisher publisher(connection(config_), static_cast<int64_t>(std::max<std::size_t>(options.window, 1)),
                             config_.nats.request_timeout);
    // In chunks, each one a batch: the jobs that name no id and wait for nothing get batch ids
    // and share one `queued` status record (the server then stores one message per job, not
    // two); the others get a record each. The chunk's records and its "enqueued" events (few
    // messages) go out before its jobs, on the same connection, so they are stored before any
    // worker can see a job and report on it.
    constexpr std::size_t kChunk = 512;
    struct Built {
        std::size_t index;
        Job job;
        bool in_batch;
        std::string envelope;
    };
    std::vector<Built> built;
    std::vector<Event> enqueued;
    // Unique jobs take their keys one at a time, before they are published (a round trip each);
    // the ones taken are kept to give their keys back if publishing fails.
    std::optional<detail::UniqueClaims> claims;
    std::unordered_map<std::string, Job> claimed;
    for (std::size_t start = 0; start < jobs.size(); start += kChunk) {
        built.clear();
        detail::BatchIds batch_ids;
        detail::BatchManifest manifest;
        manifest.queue = name_;
        for (std::size_t i = start; i < std::min(jobs.size(), start + kChunk); ++i) {
            const JobSpec& spec = jobs[i];
            bool in_batch = spec.options.job_id.empty() && spec.options.depends_on.empty() && !spec.options.unique_for;
            try {
                Job job = make_job(spec.task, spec.args, spec.options, in_batch ? batch_ids.next() : std::string());
                if (batches) {
                    if (!batch_ids_used.insert(job.id).second) {
                        throw InvalidArgument("job id " + job.id + " appears more than once in the batch");
                    }
                    job.batch = BatchMember{result.batch_id, static_cast<uint32_t>(i)};
                }
                std::string envelope = encode_within(job, max_payload);  // refused before its record or event
                if (job.unique) {
                    if (!claims) claims.emplace(config_);
                    detail::ClaimOutcome claim = claims->take(job, records);
                    if (!claim.taken) {
                        turned_away(job, claim.holder);
                        if (batches) skipped.push_back(static_cast<uint32_t>(i));
                        result.duplicates.push_back(claim.holder);
                        result.ids[i] = std::move(claim.holder);
                        continue;
                    }
                    claimed.emplace(job.id, job);
                }
                if (in_batch) {
                    if (manifest.runs.empty()) manifest.enqueued_at_ms = job.enqueued_at_ms;
                    manifest.add(static_cast<uint32_t>(batch_ids.size() - 1), job.task, job.max_attempts);
                }
                built.push_back({i, std::move(job), in_batch, std::move(envelope)});
            } catch (const Error& e) {
                result.failures.push_back({i, spec.options.job_id, e.what()});
            }
        }
        if (!manifest.runs.empty()) records.put_batch_async(batch_ids.key(), detail::encode(manifest));
        if (events.enabled()) {
            enqueued.clear();
            for (const auto& b : built) enqueued.push_back(job_event(EventType::enqueued, b.job));
            events.publish_now(std::move(enqueued));
        }
        for (auto& [i, job, in_batch, envelope] : built) {
            try {
                if (!in_batch) record_queued(records, job);
                publisher.publish(subject(job.priority), envelope, job.id);
                result.ids[i] = std::move(job.id);
            } catch (const Error& e) {
                if (claims) claims->give_back(job);
                result.failures.push_back({i, jobs[i].options.job_id, e.what()});
            }
        }
    }
    auto outcome = publisher.complete(config_.nats.request_timeout * 2);
    // Id → input position, built only when a publish failed (rare; it costs a map insert per job),
    // or when a batch must know which of its jobs the server already had.
    std::unordered_map<std::string_view, std::size_t> index_of;
    if (!outcome.failures.empty() || (batches && !outcome.duplicates.empty())) {
        index_of.reserve(jobs.size());
        for (std::size_t i = 0; i < jobs.size(); ++i) {
            if (!result.ids[i].empty()) index_of.emplace(result.ids[i], i);
        }
    }
    if (batches) {
        for (const auto& id : outcome.duplicates) {
            if (auto it = index_of.find(id); it != index_of.end()) skipped.push_back(static_cast<uint32_t>(it->second));
        }
    }
    result.duplicates.insert(result.duplicates.end(), std::make_move_iterator(outcome.duplicates.begin()),
                             std::make_move_iterator(outcome.duplicates.end()));
    for (auto& f : outcome.failures) {
        if (auto unique = claimed.find(f.msg_id); unique != claimed.end()) claims->give_back(unique->second);
        auto it = index_of.find(f.msg_id);
        std::size_t i = it == index_of.end() ? jobs.size() : it->second;
        result.failures.push_back({i, f.msg_id, std::move(f.error)});
    }
    for (const auto& f : result.failures) {
        if (f.index < jobs.size()) result.ids[f.index].clear();  // after the lookups: index_of views them
    }
    if (batches) seal_batch(*batches, result, std::move(skipped));
    std::sort(result.failures.begin(), result.failures.end(),
              [](const auto& a, const auto& b) { return a.index < b.index; });
    return result;
}

std::string Queue::start_batch(const detail::Batches& batches, std::size_t jobs, const BatchCallback& callback) const {
    if (jobs > kMaxBatchJobs) {
        throw InvalidArgument("a batch with a callback holds at most " + std::to_string(kMaxBatchJobs) + " jobs, not " +
                              std::to_string(jobs));
    }
    if (!callback.args.is_object()) throw InvalidArgument("the batch callback's args must be a JSON object");
    if (!callback.queue.empty()) names::check_token(callback.queue, "batch callback queue");
    BatchState batch;
    batch.id = new_job_id();
    batch.queue = name_;
    batch.total = static_cast<uint32_t>(jobs);
    batch.callback = callback;
    batch.created_at_ms = now_ms();
    // The callback job is built now, so a bad one is refused before any job is enqueued.
    EnqueueOptions callback_options = callback.options;
    callback_options.job_id = batch.callback_job_id();
    Queue(callback.queue.empty() ? name_ : callback.queue, config_)
        .make_job(callback.task, callback.args, callback_options);
    batches.create(batch);
    return batch.id;
}

void Queue::seal_batch(const detail::Batches& batches, BatchResult& result, std::vector<uint32_t> skipped) const {
    for (const auto& f : result.failures) {
        if (f.index < result.ids.size()) skipped.push_back(static_cast<uint32_t>(f.index));
    }
    try {
        batches.seal(result.batch_id, skipped);
    } catch (const Error& e) {
        // The jobs are enqueued; without its seal (or with a callback that could not be
        // enqueued when sealing completed it) the batch's callback may not run.
        result.failures.push_back(
            {result.ids.size(),
             {},
             "batch " + result.batch_id + ": sealing failed (" + e.what() + "): its jobs run, its callback may not"});
    }
}

uint64_t Queue::purge() {
    auto js = jetstream(config_);
    uint64_t removed = 0;
    for (const auto& s : subjects_) removed += js.purge(names::jobs_stream(config_), s);
    return removed;
}

namespace {

// Jobs stored per priority level of a queue (index: Priority).
using LevelCounts = std::array<uint64_t, 3>;

QueueCounts counts_of(const JetStream& js, const Config& config, const std::string& queue, const LevelCounts& stored) {
    QueueCounts c;
    c.queue = queue;
    for (Priority level : kPriorities) {
        const uint64_t n = stored[static_cast<std::size_t>(level)];
        c.stored += n;
        uint64_t pending = n;
        // The high and low consumers are asked only when their level holds jobs: most queues
        // never use them, and each question is a request to the server.
        if (n > 0 || level == Priority::normal) {
            try {
                auto cs = js.consumer_state(names::jobs_stream(config), names::worker_consumer(config, queue, level));
                c.has_consumer |= level == Priority::normal;
                pending = cs.pending;
                c.in_flight += cs.ack_pending;
                c.redelivered += cs.redelivered;
            } catch (const NotFound&) {
                // No worker has attached yet: everything stored is pending.
            }
        }
        c.pending += pending;
        if (level == Priority::high) c.pending_high = pending;
        if (level == Priority::low) c.pending_low = pending;
    }
    return c;
}

// "<queue>" or "<queue>.<level>" after the queue subject prefix: adds `n` to the queue's level.
void count_subject(std::map<std::string, LevelCounts>& stored, std::string_view rest, uint64_t n) {
    Priority level = Priority::normal;
    if (auto dot = rest.find('.'); dot != std::string_view::npos) {
        std::string_view suffix = rest.substr(dot + 1);
        rest = rest.substr(0, dot);
        if (suffix == to_string(Priority::high)) {
            level = Priority::high;
        } else if (suffix == to_string(Priority::low)) {
            level = Priority::low;
        } else {
            return;  // not a subject naq publishes to
        }
    }
    stored[std::string(rest)][static_cast<std::size_t>(level)] += n;
}

}  // namespace

QueueCounts Queue::counts() const {
    auto js = jetstream(config_);
    const std::string stream = names::jobs_stream(config_);
    const std::string& normal = subject(Priority::normal);
    std::map<std::string, LevelCounts> stored;
    for (const std::string& filter : {normal, normal + ".*"}) {
        for (const auto& [subject, n] : js.subject_counts(stream, filter)) {
            count_subject(stored, std::string_view(subject).substr(normal.size() - name_.size()), n);
        }
    }
    return counts_of(js, config_, name_, stored[name_]);
}

std::vector<QueueCounts> list_queues(const Config& config) {
    ensure_job_streams(config);
    auto js = jetstream(config);
    std::string stream = names::jobs_stream(config);
    std::map<std::string, LevelCounts> stored;
    std::string subject_prefix = names::queue_subject(config, "");
    for (const std::string& filter : {names::all_queues_subject(config), names::all_queue_levels_subject(config)}) {
        for (const auto& [subject, n] : js.subject_counts(stream, filter)) {
            count_subject(stored, std::string_view(subject).substr(subject_prefix.size()), n);
        }
    }
    std::string consumer_prefix = names::worker_consumer(config, "");
    for (const auto& consumer : js.consumer_names(stream)) {
        if (consumer.rfind(consumer_prefix, 0) == 0) stored.try_emplace(consumer.substr(consumer_prefix.size()));
    }
    std::vector<QueueCounts> out;
    for (const auto& [queue, n] : stored) out.push_back(counts_of(js, config, queue, n));
    return out;
}

}  // namespace naq
