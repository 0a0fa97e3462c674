// naq through its public API: enqueue, worker drains, enqueue→start latency, backlog scaling and
// the memory of a `naq worker` process.
#include "naq_measure.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "bench_support.hpp"
#include "naq/naq.hpp"

extern char** environ;

namespace naq::bench {

namespace {

Config base_config(const std::string& url) {
    Config c;
    c.nats.servers = {url};
    c.nats.request_timeout = Millis(30'000);  // a busy 2-core machine: no spurious ack timeouts
    return c;
}

/// Where the latency task reports that it started.
struct LatencyProbe {
    std::mutex mutex;
    std::condition_variable cv;
    int64_t started_at = 0;
    std::size_t started = 0;
};

LatencyProbe& probe() {
    static LatencyProbe p;
    return p;
}

/// Where the delayed-job task reports how late it started (wall clock, ms after its due time).
struct LatenessProbe {
    std::mutex mutex;
    std::vector<double> late_ms;
};

LatenessProbe& lateness_probe() {
    static LatenessProbe p;
    return p;
}

int64_t wall_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

TaskRegistry& tasks() {
    static TaskRegistry registry;
    static std::once_flag once;
    std::call_once(once, [] {
        registry.add("noop", [](JobContext&, const JobArgs&) -> Json { return nullptr; });  // never parses its args
        registry.add("noop_progress", [](JobContext& ctx, const JobArgs&) -> Json {
            ctx.progress(0.5, "half way");  // one report: the final record carries it
            return nullptr;
        });
        registry.add("bench_busy", [](JobContext&, const JobArgs&) -> Json {
            std::this_thread::sleep_for(Millis(1));
            return nullptr;
        });
        registry.add("bench_latency", [](JobContext&, const Json&) -> Json {
            int64_t t = now_ns();
            auto& p = probe();
            {
                std::lock_guard lock(p.mutex);
                p.started_at = t;
                ++p.started;
            }
            p.cv.notify_all();
            return nullptr;
        });
        registry.add("bench_due", [](JobContext&, const Json& args) -> Json {
            double late = static_cast<double>(wall_ms() - args.value("due_ms", int64_t{0}));
            auto& p = lateness_probe();
            std::lock_guard lock(p.mutex);
            p.late_ms.push_back(late);
            return nullptr;
        });
        registry.add_builtins(false);
    });
    return registry;
}

std::vector<JobSpec> noop_jobs(std::size_t n, const std::string& task = "noop") {
    return std::vector<JobSpec>(n, JobSpec{task, Json::object(), {}});
}

/// Fills `queue` with n no-op jobs (untimed), in chunks so memory stays small at 1M.
void fill(Queue& queue, std::size_t n, const std::string& task = "noop") {
    constexpr std::size_t kChunk = 50'000;
    for (std::size_t done = 0; done < n; done += kChunk) {
        auto r = queue.enqueue_many(noop_jobs(std::min(kChunk, n - done), task));
        if (!r.ok()) throw std::runtime_error("fill: " + r.failures.front().error);
    }
}

/// A worker on its own thread; stops and joins on scope exit.
class BackgroundWorker {
public:
    BackgroundWorker(const Config& config, WorkerOptions options) : worker_(config, tasks(), std::move(options)) {
        thread_ = std::thread([this] {
            try {
                worker_.run();
            } catch (const std::exception& e) {
                std::lock_guard lock(mutex_);
                error_ = e.what();
            }
        });
    }
    ~BackgroundWorker() {
        worker_.stop();
        thread_.join();
    }
    Worker& worker() { return worker_; }
    std::string error() {
        std::lock_guard lock(mutex_);
        return error_;
    }

private:
    Worker worker_;
    std::thread thread_;
    std::mutex mutex_;
    std::string error_;
};

WorkerOptions worker_options(const std::string& queue, const Options& o) {
    WorkerOptions w;
    w.queues = {queue};
    w.concurrency = o.concurrency;
    w.name = "bench";
    return w;
}

Config worker_config(const std::string& url, const Options& o, bool store_results, bool events = true) {
    Config c = base_config(url);
    c.worker.store_results = store_results;
    c.events.enabled = events;
    if (o.fetch_batch > 0) c.worker.fetch_batch = o.fetch_batch;
    return c;
}

/// Starts a worker on a queue already holding n jobs; returns jobs/s until all n succeeded.
double drain(const Config& config, const std::string& queue, std::size_t n, const Options& o) {
    BackgroundWorker w(config, worker_options(queue, o));
    // Timed from the moment the worker is bound to its queue, as the raw loop is timed after it
    // subscribed: a worker's start-up (buckets, consumer) is not per-job cost, and on the 10k
    // backlog it would be a fifth of the figure.
    w.worker().wait_started();
    auto start = Clock::now();
    uint64_t before = w.worker().stats().succeeded;
    auto limit = std::chrono::seconds(60) + std::chrono::milliseconds(n);  // ≥ 1000 jobs/s or fail
    while (w.worker().stats().succeeded < n) {
        if (!w.error().empty()) throw std::runtime_error("worker: " + w.error());
        if (Clock::now() - start > limit) throw std::runtime_error("drain of " + queue + " did not finish");
        std::this_thread::sleep_for(std::chrono::microseconds(500));
    }
    return static_cast<double>(n - before) / seconds_since(start);
}

double drain_fresh(const std::string& url, const std::string& queue, std::size_t n, bool store_results, bool events,
                   const Options& o, const std::string& task = "noop") {
    Config c = base_config(url);
    c.events.enabled = false;  // the fill is not measured
    Queue q(queue, c);
    fill(q, n, task);
    return drain(worker_config(url, o, store_results, events), queue, n, o);
}

// The jobs as one batch with a callback (at most kMaxBatchJobs): each success is confirmed and
// counted in the batch record before its ack. The callback is one more job to drain.
double drain_batch(const std::string& url, std::size_t n, const Options& o) {
    n = std::min<std::size_t>(n, kMaxBatchJobs);
    Config c = base_config(url);
    c.events.enabled = false;  // the fill is not measured
    Queue q("bench_drain_batch", c);
    auto r = q.enqueue_many(noop_jobs(n), BatchOptions{.on_complete = BatchCallback{"noop"}});
    if (!r.ok()) throw std::runtime_error("batch fill: " + r.failures.front().error);
    return drain(worker_config(url, o, true, false), "bench_drain_batch", n + 1, o);
}

// As drain_fresh with results on, the queue under `limits` (set before the worker starts).
double drain_limited(const std::string& url, const std::string& queue, std::size_t n, const QueueLimits& limits,
                     const Options& o) {
    Queue(queue, base_config(url)).set_limits(limits);
    return drain_fresh(url, queue, n, true, false, o);
}

// Enqueue → handler start of `samples` jobs of `priority`, one at a time, on `queue`: idle, or
// (backlog > 0) behind that many low-priority 1 ms jobs that keep every handler busy.
Percentiles start_latency(const std::string& url, const Options& o, const std::string& queue, Priority priority,
                          std::size_t samples, std::size_t backlog) {
    Config c = base_config(url);
    auto& p = probe();
    {
        std::lock_guard lock(p.mutex);
        p.started = 0;
    }
    Queue q(queue, c);
    if (backlog > 0) {
        std::vector<JobSpec> low(backlog, JobSpec{"bench_busy", Json::object(), {.priority = Priority::low}});
        if (!q.enqueue_many(low).ok()) throw std::runtime_error("latency: the low backlog was not enqueued");
    }
    BackgroundWorker w(worker_config(url, o, true), worker_options(queue, o));
    w.worker().wait_started();
    std::this_thread::sleep_for(Millis(200));  // its first pull request is waiting
    std::vector<double> ms;
    for (std::size_t i = 0; i < samples; ++i) {
        std::this_thread::sleep_for(std::chrono::microseconds(1500));  // idle again, as the raw consumer
        int64_t t0 = now_ns();
        q.enqueue("bench_latency", Json::object(), {.priority = priority});
        std::unique_lock lock(p.mutex);
        if (!p.cv.wait_for(lock, std::chrono::seconds(10), [&] { return p.started == i + 1; })) {
            throw std::runtime_error("latency: a job did not start within 10 s");
        }
        ms.push_back(static_cast<double>(p.started_at - t0) / 1e6);
    }
    if (backlog > 0) {
        QueueCounts left = q.counts();
        if (left.pending_low == 0) {
            throw std::runtime_error("latency: the low backlog ran out before the last sample (" +
                                     std::to_string(w.worker().stats().succeeded) + " jobs ran, " +
                                     std::to_string(left.stored) + " stored)");
        }
    }
    q.purge();
    return percentiles(std::move(ms));
}

template <class Pred>
bool wait_until(Pred pred, std::chrono::milliseconds timeout) {
    auto end = Clock::now() + timeout;
    while (Clock::now() < end) {
        if (pred()) return true;
        std::this_thread::sleep_for(Millis(20));
    }
    return pred();
}

/// Delayed jobs (enqueue_in) fired by a Scheduler, run by a worker: how late each handler starts
/// after its due time. `count` jobs due over ~2 s, starting 1 s from now.
Percentiles firing_lateness(const std::string& url, const Options& o, std::size_t count) {
    Config c = worker_config(url, o, true, false);
    {
        std::lock_guard lock(lateness_probe().mutex);
        lateness_probe().late_ms.clear();
    }
    Queue q("bench_delayed", c);
    BackgroundWorker w(c, worker_options("bench_delayed", o));
    Scheduler scheduler(c, SchedulerOptions{.name = "bench"});
    std::thread t([&] { scheduler.run(); });
    struct Join {
        Scheduler& s;
        std::thread& t;
        ~Join() {
            s.stop();
            t.join();
        }
    } join{scheduler, t};
    scheduler.wait_started();
    w.worker().wait_started();
    int64_t first = wall_ms() + 1000;
    for (std::size_t i = 0; i < count; ++i) {
        int64_t due = first + static_cast<int64_t>(i * 2000 / std::max<std::size_t>(count, 1));
        q.enqueue_at(std::chrono::system_clock::time_point(std::chrono::milliseconds(due)), "bench_due",
                     Json{{"due_ms", due}});
    }
    bool done = wait_until(
        [&] {
            std::lock_guard lock(lateness_probe().mutex);
            return lateness_probe().late_ms.size() >= count;
        },
        Millis(15'000));
    if (!done) throw std::runtime_error("delayed jobs: not every job fired within 15 s");
    std::lock_guard lock(lateness_probe().mutex);
    return percentiles(lateness_probe().late_ms);
}

// ---- worker process memory

pid_t spawn_worker(const Options& o, const std::string& url, const std::string& queue, int concurrency) {
    std::vector<std::string> args{o.naq_binary, "--url", url, "worker", queue};
    if (concurrency > 0) {
        args.push_back("--concurrency");
        args.push_back(std::to_string(concurrency));
    }
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
    pid_t pid = -1;
    int rc = posix_spawn(&pid, o.naq_binary.c_str(), &fa, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) throw std::runtime_error("cannot start " + o.naq_binary);
    return pid;
}

void end_process(pid_t pid) {
    ::kill(pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
}

/// Idle RSS of a default `naq worker`, and RSS per in-flight job of one running `rss_in_flight`.
void measure_rss(const std::string& url, const Options& o, NaqResults& r) {
    Config c = base_config(url);
    Queue idle_q("bench_rss_idle", c);
    pid_t idle = spawn_worker(o, url, idle_q.name(), 0);
    bool up = wait_until([&] { return idle_q.counts().has_consumer; }, Millis(10'000));
    std::this_thread::sleep_for(Millis(1000));
    long idle_kb = up ? rss_kb(idle) : 0;
    end_process(idle);
    if (idle_kb > 0) r.idle_rss_mb = static_cast<double>(idle_kb) / 1024.0;

    const int n = o.rss_in_flight;
    Queue busy_q("bench_rss_busy", c);
    pid_t busy = spawn_worker(o, url, busy_q.name(), n);
    up = wait_until([&] { return busy_q.counts().has_consumer; }, Millis(10'000));
    std::vector<JobSpec> sleeps(static_cast<std::size_t>(n), JobSpec{"sleep", Json{{"ms", 60'000}}, {}});
    busy_q.enqueue_many(sleeps);
    bool all_in = up && wait_until([&] { return busy_q.counts().in_flight >= n; }, Millis(20'000));
    std::this_thread::sleep_for(Millis(500));
    long busy_kb = all_in ? rss_kb(busy) : 0;
    end_process(busy);
    busy_q.purge();
    if (idle_kb > 0 && busy_kb > 0) r.rss_per_in_flight_kb = static_cast<double>(busy_kb - idle_kb) / n;
}

bool selected(const Options& o, const std::string& key) {
    return o.only.empty() || key.find(o.only) != std::string::npos;
}

}  // namespace

NaqResults run_naq(const std::string& url, const Options& o) {
    NaqResults r;
    Config defaults = worker_config(url, o, true);
    r.concurrency = o.concurrency > 0 ? o.concurrency : defaults.worker.concurrency;
    r.fetch_batch = defaults.worker.fetch_batch;

    auto timed_enqueue_many = [&](bool events) {
        Config c = base_config(url);
        c.events.enabled = events;
        Queue q(events ? "bench_enqueue_many" : "bench_enqueue_many_quiet", c);
        auto jobs = noop_jobs(o.n);
        auto start = Clock::now();
        auto res = q.enqueue_many(jobs);
        double rate = static_cast<double>(o.n) / seconds_since(start);
        if (!res.ok()) throw std::runtime_error("enqueue_many: " + res.failures.front().error);
        q.purge();
        return rate;
    };
    if (selected(o, "enqueue_many")) {
        r.enqueue_many_rate = timed_enqueue_many(true);
        r.enqueue_many_events_off_rate = timed_enqueue_many(false);
    }
    if (selected(o, "enqueue_one")) {
        Queue q("bench_enqueue_one", base_config(url));
        auto start = Clock::now();
        for (std::size_t i = 0; i < o.n_single; ++i) q.enqueue("noop");
        r.enqueue_rate = static_cast<double>(o.n_single) / seconds_since(start);
        q.purge();
    }
    if (selected(o, "enqueue_unique")) {
        Queue q("bench_enqueue_unique", base_config(url));
        const EnqueueOptions unique{.unique_for = std::chrono::hours(1)};
        auto start = Clock::now();
        for (std::size_t i = 0; i < o.n_single; ++i) q.enqueue("noop", {{"i", i}}, unique);
        r.enqueue_unique_rate = static_cast<double>(o.n_single) / seconds_since(start);
        start = Clock::now();
        for (std::size_t i = 0; i < o.n_single; ++i) q.enqueue("noop", {{"i", 0}}, unique);  // held by the first
        r.enqueue_unique_held_rate = static_cast<double>(o.n_single) / seconds_since(start);
        q.purge();
    }
    if (selected(o, "drain_results_off")) {
        r.drain_results_off = drain_fresh(url, "bench_drain_off", o.n, false, false, o);
    }
    if (selected(o, "drain_results_on")) r.drain_results_on = drain_fresh(url, "bench_drain_on", o.n, true, false, o);
    if (selected(o, "drain_batch")) r.drain_batch = drain_batch(url, o.n, o);
    if (selected(o, "drain_progress")) {
        r.drain_progress = drain_fresh(url, "bench_drain_progress", o.n, true, false, o, "noop_progress");
    }
    if (selected(o, "drain_rate_limited")) {
        // Every fetch takes its jobs from the shared rate window (a read and a compare-and-set).
        r.drain_rate_limited = drain_limited(url, "bench_drain_rate", o.n, {.rate_max = kMaxRateLimit}, o);
    }
    if (selected(o, "drain_concurrency_limited")) {
        // Every fetch and every finished job's return updates the worker's claim.
        r.drain_concurrency_limited =
            drain_limited(url, "bench_drain_concurrency", o.n, {.concurrency = o.concurrency}, o);
    }
    if (selected(o, "drain_events_on")) r.drain_events_on = drain_fresh(url, "bench_drain_events", o.n, true, true, o);
    if (o.rates_only) return r;  // a later round: the rest is measured once
    if (selected(o, "start_latency")) {
        r.start_latency = start_latency(url, o, "bench_latency", Priority::normal, o.latency_samples, 0);
    }
    if (selected(o, "high_priority_latency")) {
        // 1 ms jobs on c handlers drain at most c*1000/s; a sample takes 2-5 ms on a loaded host:
        // the backlog outlasts the samples (checked).
        const std::size_t samples = std::min<std::size_t>(o.latency_samples, 500);
        const int handlers = o.concurrency > 0 ? o.concurrency : base_config(url).worker.concurrency;
        const auto backlog = static_cast<std::size_t>(handlers) * samples * 20 + 1000;
        r.start_latency_high = start_latency(url, o, "bench_latency_high", Priority::high, samples, backlog);
    }
    if (selected(o, "firing_lateness")) {
        r.firing_lateness = firing_lateness(url, o, std::min<std::size_t>(o.latency_samples, 400));
    }
    if (selected(o, "backlog")) {
        for (std::size_t b : o.backlogs) {
            // A 10k drain lasts a quarter of a second: one server hiccup moves it by 30 %, so the
            // smaller backlogs are drained once per round and the median kept (1M once: minutes).
            int reps = b <= 100'000 ? o.rounds : 1;
            std::vector<double> rates;
            for (int i = 0; i < reps; ++i) {
                rates.push_back(drain_fresh(url, "bench_backlog_" + std::to_string(b), b, true, false, o));
            }
            r.backlog_us_per_job.emplace_back(b, 1e6 / median(std::move(rates)));
        }
    }
    if (selected(o, "rss") && !o.skip_rss && !o.naq_binary.empty()) measure_rss(url, o, r);
    return r;
}

}  // namespace naq::bench
