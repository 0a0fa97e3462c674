// Scheduler internals shared by scheduler.cpp (threads, lease, stats) and scheduler_heap.cpp
// (the timer heap and firing). Private to src/scheduler.
//
// Threads: run() drives an asio::io_context that owns the heap — every heap change happens on
// it, so none of that state needs a lock. A watch thread feeds KV changes in with asio::post; a
// lease thread renews or bids for the leader lease and posts "became leader". Due runs go down
// a two-stage pipeline so that no NATS round trip holds up the timer: a publisher thread
// publishes them in batches (Queue::enqueue_many), an advancer thread then advances each
// schedule by compare-and-set and posts the outcome back to the io thread. A schedule is out of
// the heap ("in flight") from the moment it is due until its outcome is back.
#pragma once

#include <spdlog/spdlog.h>

#include <asio.hpp>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "leader_lease.hpp"
#include "naq/events.hpp"
#include "naq/kv_store.hpp"
#include "naq/queue.hpp"
#include "naq/schedule.hpp"
#include "naq/schedule_store.hpp"
#include "naq/scheduler.hpp"
#include "scheduler/fire_plan.hpp"

namespace naq {

struct Scheduler::Impl {
    Impl(const Config& config, SchedulerOptions options);

    Config config;
    SchedulerOptions options;
    MissedRuns policy;
    std::string id;

    asio::io_context io;
    asio::steady_timer timer{io};
    asio::executor_work_guard<asio::io_context::executor_type> guard{io.get_executor()};
    std::atomic<bool> stopping{false};

    // ---- io thread only
    struct Entry {
        Schedule schedule;
        uint64_t revision = 0;
        int64_t heap_at = 0;     // key in `heap`; 0 = not in it (paused)
        int64_t not_before = 0;  // retry backoff after a failed publish (Unix ms)
        bool erased = false;     // we deleted it; kept until the watch reports the delete, so
                                 // our own older writes still arriving on the watch are ignored
        bool in_flight = false;  // in the firing pipeline: not in the heap
    };
    // One due run on its way through the pipeline.
    struct Firing {
        std::string key;
        uint64_t revision = 0;  // the revision the plan was made from
        Schedule before;        // the record at that revision
        FirePlan plan;
        bool published = false;
        std::string error;
    };
    // What the advancer did with a run, for the io thread.
    struct Outcome {
        enum class Kind { advanced, erased, reread, unchanged } kind = Kind::unchanged;
        std::string key;
        std::optional<Schedule> schedule;  // advanced / reread: the record now stored (none: deleted)
        uint64_t revision = 0;
        int64_t not_before = 0;
    };
    std::map<std::string, Entry> entries;
    std::size_t tombstones = 0;                      // entries with erased set
    std::optional<std::set<std::string>> loading;    // keys seen since a (re)started watch
    std::set<std::pair<int64_t, std::string>> heap;  // (when to fire, schedule id)
    int64_t armed_for = 0;                           // heap time the timer waits for; 0 = idle
    std::optional<KvStore> kv;

    // ---- firing pipeline (scheduler_fire.cpp)
    std::mutex pipe_mutex;
    std::condition_variable pipe_cv;
    std::deque<Firing> to_publish;
    std::deque<Firing> to_advance;
    bool publisher_done = false;  // set when run() winds down: drain, then exit
    bool advancer_done = false;
    std::thread publisher_thread;
    std::thread advancer_thread;
    std::map<std::string, std::unique_ptr<Queue>> queues;  // publisher thread only
    std::unique_ptr<EventPublisher> events;                // publisher thread only (schedule_fired)

    // ---- watch thread
    std::mutex watcher_mutex;
    KvWatcher* watcher = nullptr;

    // ---- lease thread
    std::unique_ptr<LeaderLease> lease;
    std::mutex lease_mutex;
    std::condition_variable lease_cv;
    std::atomic<bool> lease_stop{false};       // after the pipeline drained: release the lease
    std::atomic<bool> connection_lost{false};  // cnats gave up reconnecting: run() throws

    // ---- started
    mutable std::mutex started_mutex;
    mutable std::condition_variable started_cv;
    bool synced = false;
    bool lease_checked = false;
    std::exception_ptr start_error;

    // ---- stats
    mutable std::mutex stats_mutex;
    SchedulerStats counters;
    std::vector<double> lateness;  // ring buffer, ms
    std::size_t lateness_next = 0;
    std::atomic<uint64_t> known{0};

    void run();
    void request_stop();  // Scheduler::stop(), and the lease thread when the connection is gone
    void watch_loop();
    void lease_loop();
    void mark_started(bool* flag);
    bool leading() const { return lease && lease->held(); }

    // scheduler_heap.cpp (io thread)
    void begin_load();
    void apply(const KvEntry& change);
    void put_entry(const std::string& id, Schedule schedule, uint64_t revision);
    void remove_entry(const std::string& id, bool keep_tombstone = false);
    void rearm();
    void on_timer();

    // scheduler_fire.cpp
    void fire_due();      // io thread: due runs into the pipeline
    void publish_loop();  // publisher thread
    void publish(std::vector<Firing>& batch);
    void advance_loop();  // advancer thread
    Outcome advance(Firing& firing);
    void on_outcome(const Outcome& outcome);  // io thread
    void drain_pipeline();                    // run(), after the io thread stopped
    Queue& queue_for(const std::string& name);
    void record_lateness(double ms);

    template <class... Args>
    void log(spdlog::level::level_enum level, spdlog::format_string_t<Args...> fmt, Args&&... args) {
        spdlog::log(level, "[scheduler {}] {}", id, fmt::format(fmt, std::forward<Args>(args)...));
    }
};

}  // namespace naq
