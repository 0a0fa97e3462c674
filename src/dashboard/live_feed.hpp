// What the dashboard learns from the event stream, shared by every browser: one subscription
// feeds the Server-Sent Events of all pages (a bounded ring of recent event records) and a
// table of each queue's most recent jobs. Private to src/dashboard.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "naq/config.hpp"
#include "naq/event.hpp"
#include "naq/json.hpp"

namespace naq::dashboard {

/// A job as its latest event left it.
struct RecentJob {
    std::string id;
    std::string task;
    std::string state;  ///< queued, running, succeeded, failed, retrying, dead, cancelled
    int attempt = 0;
    int64_t at_ms = 0;
    std::optional<int64_t> duration_ms;
    std::string error;
};

/// The most recent jobs of each queue, newest first, bounded per queue and in queues.
class RecentJobs {
public:
    static constexpr std::size_t kPerQueue = 100;
    static constexpr std::size_t kMaxQueues = 1000;

    void apply(const Event& event);
    Json of_queue(const std::string& queue) const;  ///< [RecentJob…] newest first

private:
    struct Queue {
        std::deque<RecentJob> jobs;  // newest first
    };
    std::map<std::string, Queue> queues_;
};

/// Which jobs depend on a job, learnt from `enqueued` events (their data.depends_on): bounded,
/// the oldest dependencies forgotten first.
class Dependents {
public:
    static constexpr std::size_t kMaxJobs = 20'000;
    static constexpr std::size_t kMaxPerJob = 100;

    void apply(const Event& event);
    Json of(const std::string& job_id) const;  ///< [id…] in enqueue order

private:
    std::unordered_map<std::string, std::vector<std::string>> dependents_;
    std::deque<std::string> order_;  // dependencies, oldest first
};

class LiveFeed {
public:
    /// Primes the recent jobs from the last stored events and starts following new ones.
    explicit LiveFeed(const Config& config);
    ~LiveFeed();
    LiveFeed(const LiveFeed&) = delete;
    LiveFeed& operator=(const LiveFeed&) = delete;

    /// Event records (JSON text) with a number above `cursor`, waiting up to `timeout` for one;
    /// `cursor` moves to the last returned. Records that left the ring before a slow reader got
    /// them are skipped (the page re-reads its data anyway). Empty when stopping.
    std::vector<std::string> wait_after(uint64_t& cursor, Millis timeout);
    /// The number of the newest record (a new reader starts here).
    uint64_t newest() const;

    Json recent_jobs(const std::string& queue) const;
    /// The jobs seen depending on `job_id` (since start, and in the stored events it primed from).
    Json dependents(const std::string& job_id) const;

    /// Ends the subscription and wakes every waiting reader.
    void stop();
    bool stopping() const;

private:
    void follow();
    void add(const Event& event);

    static constexpr std::size_t kRing = 2000;
    Config config_;
    mutable std::mutex mutex_;
    std::condition_variable changed_;
    std::deque<std::string> ring_;  // the newest kRing records
    uint64_t newest_ = 0;           // number of ring_.back()
    RecentJobs recent_;
    Dependents dependents_;
    bool stop_ = false;
    std::thread thread_;
};

}  // namespace naq::dashboard
