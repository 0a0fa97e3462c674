// Fetching and prefetching: one fetch loop per queue and priority level pulls jobs into the
// ready jobs as handler slots free up, and pool tasks run them in the order ReadyJobs picks
// (weights or strict order between queues, priority within a queue). It owns the handler slots,
// the prefetched jobs and the pull subscriptions. Private to src/worker.
#pragma once

#include <asio/thread_pool.hpp>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "naq/jetstream.hpp"
#include "naq/worker.hpp"
#include "queue_limiter.hpp"
#include "ready_jobs.hpp"
#include "record_breaker.hpp"
#include "telemetry.hpp"
#include "worker_log.hpp"

namespace naq {

class Fetcher {
public:
    /// Runs one fetched job on a pool thread; may move the message out (a parked job).
    using Process = std::function<void(const std::string& queue, Message& msg)>;
    /// A fetch loop bound its consumer (null) or could not (the error; the worker stops).
    using OnBound = std::function<void(std::exception_ptr)>;

    /// `options` (queues and concurrency filled in), `stopping` and `records` must outlive the
    /// fetcher; while `records` is open nothing is fetched, while it probes one job at a time.
    Fetcher(const Config& config, const WorkerOptions& options, std::atomic<bool>& stopping,
            const RecordBreaker& records, const WorkerLog& log, Process process);
    Fetcher(const Fetcher&) = delete;
    Fetcher& operator=(const Fetcher&) = delete;

    /// Starts one fetch loop per queue and priority level; jobs run as tasks on `pool`; each fetch asks `limiters`
    /// first (they must outlive the fetch loops).
    void start(JetStream& js, asio::thread_pool& pool, WorkerTelemetry& telemetry, QueueLimiters& limiters,
               OnBound on_bound);
    /// Waits for the fetch loops, which end once `stopping` is set; prefetched jobs are handed back.
    void join();
    /// Wakes the fetch loops (to see `stopping`, or a limit's change).
    void wake() {
        { std::lock_guard lock(slot_mutex_); }  // a loop between its check and its wait sees the change
        slot_cv_.notify_all();
    }
    /// Stops or restarts fetching `queue` (Queue::pause / resume, seen by the ControlWatch).
    /// Pausing holds back the queue's prefetched jobs that have not started, and whatever a
    /// fetch under way still brings, with their leases kept, until it resumes (or the worker
    /// stops: then they are handed back). Returns how many jobs were held back / released;
    /// nullopt when the queue already was in that state.
    std::optional<std::size_t> set_paused(const std::string& queue, bool paused);
    /// The queues paused now, sorted.
    std::vector<std::string> paused_queues() const;

    /// Waits up to `timeout` for every handler slot to be free; true when they are.
    bool wait_idle(Millis timeout);
    /// Handlers running now.
    int running() const;
    /// Why fetching stopped on its own (the connection closed for good); empty when it did not.
    std::string connection_lost() const;
    /// Extends the leases of prefetched jobs (called by the lease thread).
    void extend_leases();
    /// Handlers still run past the shutdown grace and their messages need the subscriptions:
    /// keeps those until process exit.
    void keep_subscriptions_forever();

    /// A handler slot taken by a job that did not come from a fetch (a parked job resumed).
    class Slot {
    public:
        explicit Slot(Fetcher& f);
        ~Slot();
        Slot(const Slot&) = delete;
        Slot& operator=(const Slot&) = delete;

    private:
        Fetcher& f_;
    };

private:
    using Prefetched = ReadyJobs<Message>::Entry;

    /// What one fetch loop pulls: a queue's jobs of one priority level.
    struct Unit {
        std::size_t queue = 0;  // index into options.queues
        Priority level = Priority::normal;
        // The last fetch brought nothing: the next asks for one job only, whatever the room, so
        // that a level or queue with nothing to do always has a pull waiting at the server (a
        // high job starts at once) without holding room the others could use.
        bool idle = true;
        int fetching = 0;      // asked for by its fetch under way (not counted while idle)
        bool waiting = false;  // for its queue's limits: it does not hold the units behind it back
    };

    void fetch_loop(Unit& unit);
    /// Asks the queue's limiter for `want` jobs (reserved in the unit's fetching); returns how many it
    /// may fetch, and when that is none, waits until there may be room.
    int admit(Unit& unit, QueueLimiter& limiter, int want, QueueLimiter::Grant& grant);
    void note_connection_lost(const std::string& why);
    // The next ones need slot_mutex_ held.
    int prefetch_depth() const;
    int room() const;  ///< handler slots and prefetch depth not taken by jobs running or ready
    /// How many jobs `unit` may ask for: the room left by the jobs that run before or with its
    /// own (running, ready, being fetched), so that jobs of a lower level or a later strict queue
    /// never keep a higher one from being fetched; with weights, its queue's share of the room.
    int fetch_room(const Unit& unit) const;
    int fetch_threshold(const Unit& unit) const;
    int batch_threshold() const;
    /// `amount` times the weight of `unit`'s queue over the sum of the weights; at least 1.
    int share(const Unit& unit, int amount) const;
    /// A unit whose jobs would run before `unit`'s (a higher level of its queue; with strict
    /// order, any level of a queue before it) has jobs to fetch: `unit` waits for it.
    bool behind_busy(const Unit& unit) const;
    /// `other`'s jobs run before or with `unit`'s.
    bool ahead(const Unit& other, const Unit& unit) const;
    int jobs_in_hand() const;  ///< fetched and not finished, of every queue
    void run_ready();          ///< a pool task: runs ready jobs until none is left
    int take_idle_runners();   ///< (slot_mutex_ held) how many run_ready() tasks to post for ready_
    void hand_back_ready();    ///< naks the prefetched jobs that did not start

    const Config& config_;
    const WorkerOptions& options_;
    std::atomic<bool>& stopping_;
    const RecordBreaker& records_;
    const WorkerLog& log_;
    Process process_;
    JetStream* js_ = nullptr;
    asio::thread_pool* pool_ = nullptr;
    WorkerTelemetry* telemetry_ = nullptr;
    std::vector<QueueLimiter*> limiters_;  // per queue (index into options.queues)
    OnBound on_bound_;
    std::vector<std::thread> threads_;
    std::deque<Unit> units_;  // stable addresses: each fetch loop holds its own

    // Handler slots: a fetch asks for at most as many messages as there are free slots.
    mutable std::mutex slot_mutex_;
    std::condition_variable slot_cv_;
    int free_slots_ = 0;
    ReadyJobs<Message> ready_;      // prefetched jobs waiting for a handler
    std::set<std::string> paused_;  // queues not to fetch (set_paused)
    std::deque<Prefetched> held_;   // fetched jobs of paused queues, waiting for the resume
    int idle_runners_ = 0;          // pool tasks free to run them
    std::vector<int> running_;      // per queue: handlers running its jobs
    // Per queue (index into options.queues): jobs fetched and not finished (ready, held or
    // running), which its limiter counts as this worker's.
    std::vector<int> in_hand_;
    int total_weight_ = 0;
    // Moving average of handler time, which sets the prefetch depth. It starts high (no
    // prefetching) and falls as short jobs are seen, within ~100 jobs.
    std::atomic<int64_t> recent_job_us_{10'000'000};

    // Pull subscriptions outlive their fetch loops. Needed while acks went through cnats (which
    // read the subscription); Message now acks on the connection (src/connection/puller.hpp),
    // so this could go — kept until a shutdown run under ASan shows it unneeded.
    std::mutex subs_mutex_;
    std::vector<PullSubscription> retired_subs_;

    mutable std::mutex lost_mutex_;
    std::string connection_lost_;
};

}  // namespace naq
