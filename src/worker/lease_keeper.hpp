// Leases of running jobs: in-progress acks keep a long job from being redelivered while this
// worker lives, and the "running" status of a job still running after kRunningStatusDelay is
// written from here, as are its progress reports (at most every kProgressInterval). Shutdown
// hands the jobs still running back (nak). Private to src/worker.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "naq/jetstream.hpp"
#include "naq/job.hpp"
#include "naq/task_registry.hpp"
#include "results/job_records.hpp"
#include "worker_log.hpp"

namespace naq {

/// A job that finishes sooner than this gets no "running" status write, only its final one.
inline constexpr Millis kRunningStatusDelay{50};
/// A job's progress reports reach its record and the events at most this often.
inline constexpr Millis kProgressInterval{250};

/// A running job's latest progress report: the handler's thread writes it (JobContext::progress),
/// the lease thread reads it.
class ProgressBox {
public:
    void set(const JobProgress& p) {
        std::lock_guard lock(mutex_);
        latest_ = p;
        ++version_;
    }
    /// The latest report and its number (0: none yet).
    std::pair<std::optional<JobProgress>, uint64_t> latest() const {
        std::lock_guard lock(mutex_);
        return {latest_, version_};
    }

private:
    mutable std::mutex mutex_;
    std::optional<JobProgress> latest_;
    uint64_t version_ = 0;
};

class LeaseKeeper {
public:
    LeaseKeeper(const Config& config, const WorkerLog& log) : config_(config), log_(log) {}
    ~LeaseKeeper() { stop(); }
    LeaseKeeper(const LeaseKeeper&) = delete;
    LeaseKeeper& operator=(const LeaseKeeper&) = delete;

    /// Starts the lease thread. `records` (null: results off) gets the running records;
    /// `extend_waiting` extends the leases of jobs held elsewhere (prefetched, parked);
    /// `progressed` is told of each progress report written (the record it wrote, with `progress`).
    void start(detail::JobRecords* records, std::function<void()> extend_waiting,
               std::function<void(const JobStatus&)> progressed);
    /// Stops and joins the lease thread.
    void stop();

    /// A job starts running: its lease is kept until leave(). `record` (its "running" record)
    /// and `progress` must live until leave(); with `write_running` the record is written once
    /// the job has run for kRunningStatusDelay. Returns the token for leave().
    uint64_t enter(Message& msg, std::shared_ptr<CancelState> cancel, const JobStatus& record, bool write_running,
                   const ProgressBox* progress);
    /// The job's handler returned. True when shutdown handed it back meanwhile: its outcome must
    /// not be recorded (it runs again elsewhere).
    bool leave(uint64_t token);

    /// `naq cancel` for `job_id`: tells its handler to stop, if it runs here.
    void cancel(const std::string& job_id);
    /// Shutdown: naks every running job and cancels its handler.
    void hand_back_all();
    /// Ids of the jobs running (not handed back), for the status heartbeat.
    std::vector<std::string> running_job_ids() const;

private:
    /// A job being run: the message whose lease we extend and the job's cancellation.
    struct InFlight {
        Message* msg = nullptr;
        std::shared_ptr<CancelState> cancel;
        std::string job_id;
        bool handed_back = false;  // shutdown nak'ed it: the handler's outcome must not ack
        // Written by the lease thread once the job has run for kRunningStatusDelay (nullptr:
        // nothing to write, or written already).
        const JobStatus* running_status = nullptr;
        std::chrono::steady_clock::time_point started{};
        const JobStatus* record = nullptr;  // the running record, the base of progress writes
        const ProgressBox* progress = nullptr;
        uint64_t progress_written = 0;  // the ProgressBox version last written
        std::chrono::steady_clock::time_point progress_written_at{};
    };

    void loop();
    void extend_running();
    void write_running_statuses();
    void write_progress(InFlight& job, std::chrono::steady_clock::time_point now);

    const Config& config_;
    const WorkerLog& log_;
    detail::JobRecords* records_ = nullptr;
    std::function<void()> extend_waiting_;
    std::function<void(const JobStatus&)> progressed_;

    mutable std::mutex inflight_mutex_;
    std::map<uint64_t, InFlight> inflight_;
    uint64_t next_token_ = 0;

    std::mutex loop_mutex_;
    std::condition_variable loop_cv_;
    bool done_ = false;
    std::thread thread_;
};

}  // namespace naq
