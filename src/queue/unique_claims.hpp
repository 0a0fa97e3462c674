// Unique jobs (docs/queue-control.md#unique-jobs): a job enqueued with unique_for takes its key
// in the "<prefix>_unique" KV bucket before it is published, with a create (the server lets one
// writer win); a key held by a lapsed claim is taken over by compare-and-set, so two producers
// racing for it still end with one job. The worker that finishes a job gives its key back.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "naq/config.hpp"
#include "naq/job.hpp"
#include "naq/kv_store.hpp"

namespace naq::detail {

class JobRecords;

/// What taking a unique job's key did.
struct ClaimOutcome {
    bool taken = false;     ///< the job holds the key now: publish it
    std::string holder;     ///< !taken: the job that holds it (return its id instead)
    uint64_t revision = 0;  ///< taken: the key's revision, to give it back if publishing fails
};

/// The key of a job that has one: unique_for within (0, results.ttl], the key derived from
/// unique_key (or the task and args). Throws InvalidArgument for a bad unique_for or key.
UniqueClaim unique_claim_for(const Config& config, const std::string& queue, const std::string& task, const Json& args,
                             const EnqueueOptions& options, int64_t now_ms);

class UniqueClaims {
public:
    /// Binds (or creates) the unique bucket.
    explicit UniqueClaims(const Config& config);

    /// Takes job.unique's key for `job`, unless another job's claim on it is still in force:
    /// until its until_ms and, in UniqueUntil::finished mode, while its record is not final.
    /// Throws what the server answers (ConnectionError, Timeout, ...) and Conflict when the key
    /// kept changing under it.
    ClaimOutcome take(const Job& job, const JobRecords& records) const;

    /// Gives the key back if `job` still holds it (publishing it failed, or it finished in
    /// UniqueUntil::finished mode). Never throws: a key not given back lapses on its own.
    void give_back(const Job& job) const noexcept;

private:
    /// The job whose claim on `entry` is still in force; nullopt when the claim has lapsed (or
    /// its record is unreadable) and the key may be taken over.
    std::optional<std::string> holder_in_force(const KvEntry& entry, const JobRecords& records, int64_t now) const;

    KvStore kv_;
};

}  // namespace naq::detail
