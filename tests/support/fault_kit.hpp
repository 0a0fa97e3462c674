// What the fault tests share: naq processes started and watched, a producer that records every
// job id the server acknowledged, and the tally each test prints and asserts:
// `acked=… succeeded=… lost=… duplicates=… recovery_ms=…`.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "naq/config.hpp"
#include "naq/queue.hpp"

namespace naq::test {

/// A naq CLI process (`naq --url … --prefix … <args>`), with NAQ_RECORD_FILE set for the
/// record plugin. SIGTERM and reaped when it leaves scope.
class NaqProcess {
public:
    NaqProcess(const Config& config, const std::string& args, const std::string& record_file = "");
    ~NaqProcess();
    NaqProcess(const NaqProcess&) = delete;
    NaqProcess& operator=(const NaqProcess&) = delete;

    pid_t pid() const { return pid_; }
    /// Still running (not exited, not killed).
    bool alive();
    /// How it ended: the exit code, or -signal; waits at most `timeout`, -1000 when still running.
    int wait_exit(std::chrono::milliseconds timeout);
    /// Sends `sig` and waits for the end: the exit code, or -signal.
    int stop(int sig = SIGTERM);

private:
    pid_t pid_ = -1;
    int status_ = 0;
    bool reaped_ = false;
};

/// The queue a fault test's 1-second schedule fires onto: QUEUE_runs, served by the same worker
/// as QUEUE but not behind the producer's backlog, so a run that comes late means a late
/// scheduler, not a long queue (the backlog a fault leaves behind can take longer to drain than
/// a recovery may take).
inline std::string runs_queue(const std::string& queue) { return queue + "_runs"; }

/// `naq worker QUEUE,QUEUE_runs --concurrency N --plugin <record plugin>` whose "record" task
/// appends each job id it runs to `record_file`.
std::string record_worker_args(const std::string& queue, int concurrency = 8);

/// A temp directory with an executions file, removed at the end.
struct RecordFile {
    RecordFile();
    ~RecordFile();
    std::string path;
    /// Job id -> how many times a handler ran it.
    std::map<std::string, int> executions() const;
    /// Executions beyond the first of each job so far.
    std::size_t repeats() const;
    /// Runs of a schedule (job ids "<schedule id>_<due ms>") executed, due at or after `since_ms`.
    int schedule_runs_since(const std::string& schedule_id, int64_t since_ms) const;

private:
    std::string dir_;
};

/// The runs of a 1-second schedule that a record file shows, from the first to the last.
struct ScheduleRuns {
    std::size_t due_times = 0;  ///< distinct due times that ran
    int missed = 0;             ///< due times skipped within the catch-up window (must be 0)
    int collapsed = 0;          ///< stretches longer than the window (60 s), which missed_runs "once" collapses
    int twice = 0;              ///< due times that ran more than once (redelivered: at least once)
    std::string line() const;
};
ScheduleRuns schedule_runs(const RecordFile& record, const std::string& schedule_id);

/// Enqueues "record" jobs one at a time on its own thread until stopped, keeping the id of every
/// job whose enqueue returned (the server acknowledged it). Failed enqueues are counted, not kept.
class RecordingProducer {
public:
    RecordingProducer(const Config& config, const std::string& queue, std::chrono::milliseconds pause);
    ~RecordingProducer();
    /// Stops producing; returns the acknowledged ids.
    std::vector<std::string> stop();
    std::size_t acked() const;
    int failures() const { return failures_.load(); }

private:
    Queue queue_;
    std::chrono::milliseconds pause_;
    std::atomic<bool> stopping_{false};
    std::atomic<int> failures_{0};
    mutable std::mutex mutex_;
    std::vector<std::string> acked_;
    std::thread thread_;
};

/// What happened to a set of acknowledged jobs.
struct Tally {
    std::size_t acked = 0;
    std::size_t succeeded = 0;   ///< record says succeeded and a handler ran it
    std::size_t lost = 0;        ///< acked but never ran, or no succeeded record
    std::size_t duplicates = 0;  ///< extra executions
    long recovery_ms = -1;
    std::size_t unfinished = 0;  ///< jobs left stored without a final record after the drain
    uint64_t events_lost = 0;    ///< gaps in the publishers' event numbering (events are best effort)
    std::string line() const;
};

/// Waits until `queue` has nothing pending or in flight; then every job still stored in the
/// jobs stream must have a final record. (After a SIGKILL, nats-server 2.9 can keep messages
/// whose acks it had taken: they are never delivered again and their jobs are done.) Returns
/// how many stored jobs are not done; prints what is left.
std::size_t unfinished_after_drain(const Config& config, Queue& queue, std::chrono::seconds timeout);

/// How the processes came back after a fault.
struct Recovery {
    bool worker_back = false;     ///< ran `jobs` more jobs
    bool scheduler_back = false;  ///< 3 runs of the schedule due after the fault ran
    long worker_ms = 0;           ///< how long the worker took
};

/// Called as a fault ends: waits for `jobs` more executions (within `timeout`) and for 3 runs
/// of `schedule_id` due from now on; prints "fault: <what>: worker back=… scheduler back=…".
Recovery wait_recovery(const RecordFile& record, const std::string& schedule_id, std::size_t jobs,
                       std::chrono::seconds timeout, const std::string& what);

/// Tallies `ids` against the executions file and the job records of `config`.
Tally tally(const Config& config, const std::vector<std::string>& ids, const RecordFile& record);

/// The end of a test under load: stops the producer, waits for `queue` to drain
/// (unfinished_after_drain), tallies what the producer got acknowledged and prints it as
/// "fault: <label>: acked=… enqueue_failures=…".
Tally finish_load(const Config& config, Queue& queue, RecordingProducer& producer, const RecordFile& record,
                  long recovery_ms, const std::string& label);

}  // namespace naq::test
