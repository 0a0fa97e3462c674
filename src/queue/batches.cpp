// Batch records and their callback (see batches.hpp).
#include "queue/batches.hpp"

#include <spdlog/spdlog.h>

#include <random>
#include <thread>

#include "naq/errors.hpp"
#include "naq/events.hpp"
#include "naq/names.hpp"
#include "naq/queue.hpp"

namespace naq::detail {

namespace {

/// Rounds of read, change, compare-and-set before giving up on a record that keeps changing:
/// many workers finishing a batch's jobs at once all write the one record.
constexpr int kUpdateRounds = 200;

void count_state(BatchState& batch, JobState state) {
    switch (state) {
        case JobState::succeeded: ++batch.succeeded; break;
        case JobState::cancelled: ++batch.cancelled; break;
        default: ++batch.dead; break;  // dead, dependency_failed
    }
}

// A short random pause after a lost compare-and-set, growing with the rounds lost, so writers
// that collided do not collide again at once.
void back_off(int round) {
    thread_local std::mt19937 rng{std::random_device{}()};
    const int most_us = std::min(100 + 100 * round, 5000);
    std::this_thread::sleep_for(std::chrono::microseconds(std::uniform_int_distribution<int>(0, most_us)(rng)));
}

}  // namespace

Batches::Batches(const Config& config) : config_(config), kv_(kv_store(Bucket::batches, config)) {}

void Batches::create(const BatchState& batch) const { kv_.create(batch.id, encode(batch)); }

template <class Change>
void Batches::update(const std::string& batch_id, Change change) const {
    for (int round = 0; round < kUpdateRounds; ++round) {
        std::optional<KvEntry> entry = kv_.try_get(batch_id);
        if (!entry) {
            spdlog::warn("batch {}: no record (expired, or deleted): not counted", batch_id);
            return;
        }
        BatchState batch;
        try {
            batch = decode_batch_state(entry->value);
        } catch (const SerializationError& e) {
            // Retrying cannot mend it: the job goes on, the batch will not complete.
            spdlog::error("batch {}: unreadable record ({}): not counted", batch_id, e.what());
            return;
        }
        if (!change(batch)) {
            // Counted before (a redelivery): the callback may still be due if its writer died.
            if (batch.complete() && !batch.fired) fire(batch, entry->revision);
            return;
        }
        if (batch.complete() && batch.completed_at_ms == 0) batch.completed_at_ms = now_ms();
        uint64_t revision = 0;
        try {
            revision = kv_.update(batch_id, encode(batch), entry->revision);
        } catch (const Conflict&) {
            back_off(round);
            continue;
        }
        if (batch.complete() && !batch.fired) fire(batch, revision);
        return;
    }
    throw Conflict("batch " + batch_id + ": its record changed " + std::to_string(kUpdateRounds) +
                   " times while it was being counted");
}

void Batches::seal(const std::string& batch_id, const std::vector<uint32_t>& skipped) const {
    update(batch_id, [&](BatchState& batch) {
        if (batch.sealed) return false;
        for (uint32_t index : skipped) {
            if (batch.mark(index)) ++batch.skipped;
        }
        batch.sealed = true;
        return true;
    });
}

void Batches::count(const std::string& batch_id, const std::vector<Finished>& jobs) const {
    update(batch_id, [&](BatchState& batch) {
        bool changed = false;
        for (const Finished& job : jobs) {
            if (!batch.mark(job.index)) continue;
            count_state(batch, job.state);
            changed = true;
        }
        return changed;
    });
}

void Batches::fire(BatchState& batch, uint64_t revision) const {
    const BatchCallback& cb = batch.callback;
    Json args = cb.args.is_object() ? cb.args : Json::object();
    args["batch"] = {{"id", batch.id},     {"total", batch.total},         {"succeeded", batch.succeeded},
                     {"dead", batch.dead}, {"cancelled", batch.cancelled}, {"skipped", batch.skipped}};
    EnqueueOptions options = cb.options;
    options.job_id = batch.callback_job_id();
    Queue queue(cb.queue.empty() ? batch.queue : cb.queue, config_);
    // The callback's id is fixed: a second writer that also found the batch complete and not
    // yet fired (a redelivery racing the completing write) is a duplicate the stream drops.
    const Job job = queue.make_job(cb.task, args, options);
    EnqueueResult r = queue.submit(job);
    if (!r.duplicate) {
        Event e = job_event(EventType::batch_completed, job);
        e.data = args["batch"];
        EventPublisher(config_).publish(std::move(e));
        spdlog::info("batch {}: complete ({} succeeded, {} dead, {} cancelled, {} skipped): callback job {} enqueued",
                     batch.id, batch.succeeded, batch.dead, batch.cancelled, batch.skipped, r.id);
    }
    batch.fired = true;
    try {
        kv_.update(batch.id, encode(batch), revision);
    } catch (const Error& e) {
        // Someone wrote after us (a redelivered job, another firing): the callback is enqueued
        // either way; a later writer that finds fired unset only meets the duplicate check.
        spdlog::debug("batch {}: not marked fired ({})", batch.id, e.what());
    }
}

}  // namespace naq::detail

namespace naq {

BatchState batch_state(const std::string& batch_id, const Config& config) {
    names::check_job_id(batch_id);
    // A reader's bind: an operator may read the bucket but not create or change it.
    std::optional<KvEntry> entry = kv_store_reader(Bucket::batches, config).try_get(batch_id);
    if (!entry) throw NotFound("no batch " + batch_id + " (unknown, or older than results.ttl)");
    return decode_batch_state(entry->value);
}

}  // namespace naq
