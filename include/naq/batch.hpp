// A batch with a completion callback (Queue::enqueue_many with BatchOptions::on_complete): its
// record in the "<prefix>_batches" KV bucket, key = batch id. The record has a bit per job, set
// when the job reaches a final state, so a job finished twice (a redelivery) counts once; the
// compare-and-set that makes it complete — exactly one writer's — enqueues the callback job.
// docs/queue-control.md#batches describes the behaviour, docs/wire-format.md the JSON form.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "naq/job.hpp"
#include "naq/json.hpp"

namespace naq {

/// The job a batch runs once, when every job of it is final.
struct BatchCallback {
    std::string task;
    /// An object; the callback gets it with "batch": {"id","total","succeeded","dead",
    /// "cancelled","skipped"} added.
    Json args = Json::object();
    std::string queue;         ///< empty = the batch's queue
    EnqueueOptions options{};  ///< max_attempts, backoff, timeout; job_id is the batch's "<id>-on-complete"
};

/// A batch's record.
struct BatchState {
    std::string id;
    std::string queue;
    uint32_t total = 0;  ///< jobs given to enqueue_many
    uint32_t succeeded = 0;
    uint32_t dead = 0;  ///< dead-lettered, or failed for a dependency
    uint32_t cancelled = 0;
    uint32_t skipped = 0;  ///< not enqueued (a failed publish, a duplicate, a held unique key)
    bool sealed = false;   ///< the producer has published every job it could
    bool fired = false;    ///< the callback job is enqueued
    BatchCallback callback;
    int64_t created_at_ms = 0;
    int64_t completed_at_ms = 0;  ///< when the last job was counted; 0 while not complete
    std::string done;             ///< a bit per job (bit i%8 of byte i/8): counted

    /// Jobs counted: final or skipped.
    uint32_t finished() const { return succeeded + dead + cancelled + skipped; }
    /// Sealed, and every job counted: the callback is due.
    bool complete() const { return sealed && finished() >= total; }
    bool counted(uint32_t index) const;
    /// Sets job `index`'s bit; false when it was set already (or index >= total).
    bool mark(uint32_t index);
    /// The callback job's id: "<batch id>-on-complete".
    std::string callback_job_id() const { return id + "-on-complete"; }
};

/// The most jobs a batch with a callback may have: every count rewrites the record, a bit each.
inline constexpr uint32_t kMaxBatchJobs = 100'000;

/// {"v":1,"id","queue","total","succeeded","dead","cancelled","skipped","sealed","fired",
///  "callback":{"task","args","queue","options"},"created_at","completed_at","done":"<base64>"}
std::string encode(const BatchState& batch);
Json to_json(const BatchState& batch);
/// Throws SerializationError naming the field.
BatchState decode_batch_state(std::string_view text);

}  // namespace naq
