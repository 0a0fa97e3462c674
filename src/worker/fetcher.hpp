// Fetching and prefetching: one fetch loop per queue pulls jobs into a ready list as handler
// slots free up, and pool tasks run them. It owns the handler slots, the prefetched jobs and
// the pull subscriptions. Private to src/worker.
#pragma once

#include <asio/thread_pool.hpp>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <exception>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "naq/jetstream.hpp"
#include "naq/worker.hpp"
#include "queue_limiter.hpp"
#include "telemetry.hpp"
#include "worker_log.hpp"

namespace naq {

class Fetcher {
public:
    /// Runs one fetched job on a pool thread; may move the message out (a parked job).
    using Process = std::function<void(const std::string& queue, Message& msg)>;
    /// A fetch loop bound its consumer (null) or could not (the error; the worker stops).
    using OnBound = std::function<void(std::exception_ptr)>;

    /// `options` (queues and concurrency filled in) and `stopping` must outlive the fetcher.
    Fetcher(const Config& config, const WorkerOptions& options, std::atomic<bool>& stopping, const WorkerLog& log,
            Process process);
    Fetcher(const Fetcher&) = delete;
    Fetcher& operator=(const Fetcher&) = delete;

    /// Starts one fetch loop per queue; jobs run as tasks on `pool`; each fetch asks `limiters`
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
    /// Fetches nothing for `pause` (from now, or longer if already paused): the server is not
    /// storing this worker's records, and every job run meanwhile would only run again.
    void pause_fetching(Millis pause);

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
    struct Prefetched {
        const std::string* queue;  // an element of options.queues
        Message msg;
    };

    void fetch_loop(const std::string& queue);
    /// Asks the queue's limiter for `want` jobs (reserved in fetching_); returns how many it
    /// may fetch, and when that is none, waits until there may be room.
    int admit(const std::string* queue, QueueLimiter& limiter, int want, QueueLimiter::Grant& grant);
    void note_connection_lost(const std::string& why);
    // The next three need slot_mutex_ held.
    int prefetch_depth() const;
    int fetch_room() const;
    int fetch_threshold() const;
    Millis paused_for() const;  ///< what is left of a pause_fetching() (no lock needed)
    void run_ready();           ///< a pool task: runs ready jobs until none is left
    int take_idle_runners();    ///< (slot_mutex_ held) how many run_ready() tasks to post for ready_
    void hand_back_ready();     ///< naks the prefetched jobs that did not start

    const Config& config_;
    const WorkerOptions& options_;
    std::atomic<bool>& stopping_;
    const WorkerLog& log_;
    Process process_;
    JetStream* js_ = nullptr;
    asio::thread_pool* pool_ = nullptr;
    WorkerTelemetry* telemetry_ = nullptr;
    QueueLimiters* limiters_ = nullptr;
    OnBound on_bound_;
    std::vector<std::thread> threads_;

    // Handler slots: a fetch asks for at most as many messages as there are free slots.
    mutable std::mutex slot_mutex_;
    std::condition_variable slot_cv_;
    int free_slots_ = 0;
    std::deque<Prefetched> ready_;  // prefetched jobs waiting for a handler
    std::set<std::string> paused_;  // queues not to fetch (set_paused)
    std::deque<Prefetched> held_;   // fetched jobs of paused queues, waiting for the resume
    int idle_runners_ = 0;          // pool tasks free to run them
    int fetching_ = 0;              // asked for by fetches under way
    // Per queue (an element of options.queues): jobs fetched and not finished (ready, held or
    // running), which its limiter counts as this worker's.
    std::map<const std::string*, int> in_hand_;
    // Moving average of handler time, which sets the prefetch depth. It starts high (no
    // prefetching) and falls as short jobs are seen, within ~100 jobs.
    std::atomic<int64_t> recent_job_us_{10'000'000};
    std::atomic<int64_t> paused_until_ns_{0};  // steady clock; see pause_fetching()

    // Pull subscriptions outlive their fetch loops. Needed while acks went through cnats (which
    // read the subscription); Message now acks on the connection (src/connection/puller.hpp),
    // so this could go — kept until a shutdown run under ASan shows it unneeded.
    std::mutex subs_mutex_;
    std::vector<PullSubscription> retired_subs_;

    mutable std::mutex lost_mutex_;
    std::string connection_lost_;
};

}  // namespace naq
