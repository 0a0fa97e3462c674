// Counting finished jobs in their batches (docs/queue-control.md#batches), many at a time: a
// worker's handlers hand their batch jobs here and one thread writes each batch's record once
// for all the jobs that finished since its last write (a compare-and-set per batch per round
// trip, not per job), then acks them. The jobs of a batch are acked only once counted, so a
// crash in between redelivers them and the batch counts them once.
#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "naq/config.hpp"
#include "naq/job.hpp"
#include "queue/batches.hpp"
#include "worker_log.hpp"

namespace naq {

class BatchCounter {
public:
    /// What to do once the job is counted: ack it (empty error), or hand it back (the error).
    using Then = std::function<void(const std::string& error)>;

    BatchCounter(const Config& config, const WorkerLog& log);
    ~BatchCounter();
    BatchCounter(const BatchCounter&) = delete;
    BatchCounter& operator=(const BatchCounter&) = delete;

    /// Queues the job to be counted; `then` runs on the counter's thread afterwards. Never blocks.
    void count(const BatchMember& member, JobState state, Then then);
    /// Counts what is queued (for at most `timeout`), then stops; what is left is handed back.
    void stop(Millis timeout);

private:
    struct Pending {
        BatchMember member;
        JobState state;
        Then then;
    };
    void run();
    void write(std::vector<Pending>& round);

    const Config& config_;
    const WorkerLog& log_;
    std::optional<detail::Batches> batches_;  // bound on the counter's thread at the first job
    std::mutex mutex_;
    std::condition_variable wake_;
    std::vector<Pending> pending_;
    bool stopping_ = false;
    std::thread thread_;  // last: started once the rest is built
};

}  // namespace naq
