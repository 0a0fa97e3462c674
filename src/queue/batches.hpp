// Batches with a completion callback (docs/queue-control.md#batches): enqueue_many stores the
// batch's record before its jobs and seals it after; the worker that finishes a job of it counts
// the job (a bit per job, so a redelivered job counts once) with compare-and-set, and the write
// that makes the batch complete enqueues the callback job — exactly one writer sees that change.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "naq/batch.hpp"
#include "naq/config.hpp"
#include "naq/kv_store.hpp"

namespace naq::detail {

class Batches {
public:
    /// Binds (or creates) the batches bucket.
    explicit Batches(const Config& config);

    /// Stores a new batch's record (nothing counted, not sealed). Throws Conflict if the id exists.
    void create(const BatchState& batch) const;
    /// Counts the jobs at `skipped` (not enqueued) and seals the batch: from now on it completes
    /// once every other job is counted, and at once if they all are already.
    void seal(const std::string& batch_id, const std::vector<uint32_t>& skipped) const;
    /// A finished job of a batch: its index and final state.
    struct Finished {
        uint32_t index = 0;
        JobState state = JobState::succeeded;
    };
    /// Counts the jobs of batch `batch_id` as final (in one write; a redelivered job counts once)
    /// and enqueues the callback if that completed the batch. Throws when the record cannot be
    /// read or written; a batch that no longer exists (expired) or is unreadable is logged and
    /// ignored.
    void count(const std::string& batch_id, const std::vector<Finished>& jobs) const;

private:
    /// Applies `change` to the record with compare-and-set until it sticks; `change` returns
    /// false when it has nothing to change. Then fires the callback if the batch is complete.
    template <class Change>
    void update(const std::string& batch_id, Change change) const;
    /// Enqueues the callback job (its id makes a repeat a no-op) and marks the batch fired.
    void fire(BatchState& batch, uint64_t revision) const;

    Config config_;
    KvStore kv_;
};

}  // namespace naq::detail
