// Worker observability: events, metrics and the status heartbeat (see telemetry.hpp).
#include "telemetry.hpp"
#include "core/instance_id.hpp"

#include <unistd.h>

#include "naq/version.hpp"

namespace naq {

/// The metric series of one (queue, task), looked up once and kept.
struct JobMetrics {
    metrics::Counter& processed;
    metrics::Counter& succeeded;
    metrics::Counter& failed;
    metrics::Counter& retried;
    metrics::Counter& dead;
    metrics::Counter& cancelled;
    metrics::Histogram& duration;
    metrics::Gauge& in_flight;
    metrics::Histogram& wait;         // enqueued -> first attempt started
    std::atomic<uint64_t>& finished;  // this worker's jobs of the queue that left it (status throughput)
};

namespace {}  // namespace

// ---- JobObservation

JobObservation::JobObservation(WorkerTelemetry* telemetry, const Job& job, int attempt)
    : t_(telemetry), job_(&job), attempt_(attempt), start_(std::chrono::steady_clock::now()) {
    if (t_ == nullptr) return;
    try {
        m_ = &t_->job_metrics(job.queue, job.task);
        m_->in_flight.add(1);
        if (attempt == 1 && job.enqueued_at_ms > 0) {
            m_->wait.observe(static_cast<double>(std::max<int64_t>(0, now_ms() - job.enqueued_at_ms)) / 1000.0);
        }
    } catch (const std::exception&) {
        m_ = nullptr;  // metrics are best effort
    }
    t_->job_count(1);
    t_->publish(job_event(EventType::started, job, attempt));
}

JobObservation::~JobObservation() {
    if (t_ == nullptr) return;
    if (m_ != nullptr) m_->in_flight.add(-1);
    t_->job_count(-1);
}

int64_t JobObservation::elapsed_ms() {
    auto took = std::chrono::steady_clock::now() - start_;
    if (m_ != nullptr && !timed_) {
        m_->duration.observe(took);
        m_->processed.inc();
    }
    timed_ = true;
    return std::chrono::duration_cast<Millis>(took).count();
}

void JobObservation::succeeded() {
    if (t_ == nullptr) return;
    Event e = job_event(EventType::succeeded, *job_, attempt_);
    e.duration_ms = elapsed_ms();
    if (m_ != nullptr) {
        m_->succeeded.inc();
        m_->finished.fetch_add(1, std::memory_order_relaxed);
    }
    t_->publish(std::move(e));
}

void JobObservation::failed(const std::string& error) {
    if (t_ == nullptr) return;
    Event e = job_event(EventType::failed, *job_, attempt_);
    e.duration_ms = elapsed_ms();
    e.error = error;
    if (m_ != nullptr) m_->failed.inc();
    t_->publish(std::move(e));
}

void JobObservation::retry_scheduled(Millis delay) {
    if (t_ == nullptr) return;
    Event e = job_event(EventType::retry_scheduled, *job_, attempt_);
    e.delay_ms = delay.count();
    if (m_ != nullptr) m_->retried.inc();
    t_->publish(std::move(e));
    t_->send_now();  // on the wire before the job goes back to the queue (another worker's events follow)
}

void JobObservation::dead_lettered(const std::string& error) {
    if (t_ == nullptr) return;
    Event e = job_event(EventType::dead_lettered, *job_, attempt_);
    e.error = error;
    if (m_ != nullptr) {
        m_->dead.inc();
        m_->finished.fetch_add(1, std::memory_order_relaxed);
    }
    t_->publish(std::move(e));
}

void JobObservation::cancelled(const std::string& reason) {
    if (t_ == nullptr) return;
    Event e = job_event(EventType::cancelled, *job_, attempt_);
    e.error = reason;
    e.duration_ms = elapsed_ms();
    if (m_ != nullptr) {
        m_->cancelled.inc();
        m_->finished.fetch_add(1, std::memory_order_relaxed);
    }
    t_->publish(std::move(e));
}

// ---- WorkerTelemetry

WorkerTelemetry::WorkerTelemetry(const Config& config, WorkerTelemetrySources sources)
    : sources_(std::move(sources)),
      events_(config, /*batched=*/true),
      host_(detail::host_name()),
      started_at_ms_(now_ms()) {
    auto& reg = metrics::registry();
    auto& reconnects = reg.counter("naq_nats_reconnects_total", "Times the NATS connection was re-established");
    auto& dropped = reg.counter("naq_events_dropped_total", "Events that could not be published");
    Connection conn = connection(config);
    hook_ = reg.add_hook([conn, &reconnects, &dropped] {
        reconnects.set(static_cast<double>(conn.reconnects()));
        dropped.set(static_cast<double>(EventPublisher::dropped()));
    });
    heartbeat_ = std::make_unique<WorkerHeartbeat>(config, [this] { return snapshot(); });
}

WorkerTelemetry::~WorkerTelemetry() {
    if (heartbeat_) heartbeat_->stop(true);
    metrics::registry().remove_hook(hook_);
}

void WorkerTelemetry::started() {
    running_ = true;
    Event e;
    e.type = EventType::worker_started;
    e.data = Json{{"queues", sources_.queues},
                  {"concurrency", sources_.concurrency},
                  {"host", host_},
                  {"pid", static_cast<int64_t>(::getpid())},
                  {"version", std::string(kVersion)}};
    publish(std::move(e));
    heartbeat_->poke();
}

void WorkerTelemetry::stopped(bool online) {
    running_ = false;
    Event e;
    e.type = EventType::worker_stopped;
    e.data = Json{{"succeeded", sources_.counters.succeeded.load()},
                  {"failed", sources_.counters.failed.load()},
                  {"retried", sources_.counters.retried.load()},
                  {"dead", sources_.counters.dead.load()}};
    publish(std::move(e));
    heartbeat_->stop(online);
    if (online) events_.flush(Millis(2000));
}

void WorkerTelemetry::job_unrun(const Job& job, int attempt, JobState state, const std::string& error) {
    bool cancelled = state == JobState::cancelled;
    Event e = job_event(cancelled ? EventType::cancelled : EventType::dead_lettered, job, attempt);
    e.error = error;
    try {
        auto& m = job_metrics(job.queue, job.task);
        (cancelled ? m.cancelled : m.dead).inc();
        m.finished.fetch_add(1, std::memory_order_relaxed);
    } catch (const std::exception&) {}
    publish(std::move(e));
}

void WorkerTelemetry::terminated(const std::string& queue) {
    try {
        metrics::registry()
            .counter("naq_jobs_terminated_total",
                     "Jobs over worker.max_deliveries that could not be dead-lettered (lost to the queue)",
                     {{"queue", queue}})
            .inc();
    } catch (const std::exception&) {}
}

void WorkerTelemetry::fetched(const std::string& queue, std::size_t count, std::chrono::steady_clock::duration took) {
    if (count == 0) return;  // an empty fetch measures the fetch timeout, not latency
    static auto& reg = metrics::registry();
    reg.histogram("naq_fetch_duration_seconds", "Pull requests that returned jobs: time to get them",
                  {{"queue", queue}})
        .observe(took);
    reg.counter("naq_jobs_fetched_total", "Jobs received from the server", {{"queue", queue}})
        .inc(static_cast<double>(count));
}

void WorkerTelemetry::send_now() { events_.send_now(); }

void WorkerTelemetry::status_changed() { heartbeat_->poke(); }

void WorkerTelemetry::job_count(int delta) {
    int before = running_jobs_.fetch_add(delta, std::memory_order_relaxed);
    if ((before == 0 && delta > 0) || (before + delta == 0 && delta < 0)) heartbeat_->poke();
}

void WorkerTelemetry::publish(Event event) {
    event.worker = sources_.worker_id;
    events_.publish(std::move(event));
}

JobMetrics& WorkerTelemetry::job_metrics(const std::string& queue, const std::string& task) {
    std::string key = queue + '\n' + task;
    {
        std::shared_lock lock(metrics_mutex_);
        if (auto it = metrics_.find(key); it != metrics_.end()) return *it->second;
    }
    auto& reg = metrics::registry();
    metrics::Labels labels{{"queue", queue}, {"task", task}};
    std::unique_lock lock(metrics_mutex_);
    auto& finished = finished_[queue];
    if (!finished) finished = std::make_unique<std::atomic<uint64_t>>(0);
    auto m = std::unique_ptr<JobMetrics>(new JobMetrics{
        reg.counter("naq_jobs_processed_total", "Attempts finished (succeeded or failed)", labels),
        reg.counter("naq_jobs_succeeded_total", "Jobs that succeeded", labels),
        reg.counter("naq_jobs_failed_total", "Attempts that failed (retried or not)", labels),
        reg.counter("naq_jobs_retried_total", "Failed attempts scheduled for a retry", labels),
        reg.counter("naq_jobs_dead_total", "Jobs dead-lettered", labels),
        reg.counter("naq_jobs_cancelled_total", "Running jobs cancelled", labels),
        reg.histogram("naq_job_duration_seconds", "Run time of an attempt", labels),
        reg.gauge("naq_jobs_in_flight", "Jobs running now", {{"queue", queue}}),
        reg.histogram("naq_job_wait_seconds", "Time from enqueue to the first attempt's start", labels,
                      {0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 60, 300, 3600}),
        *finished,
    });
    auto [it, inserted] = metrics_.try_emplace(key, std::move(m));
    return *it->second;
}

WorkerStatus WorkerTelemetry::snapshot() {
    WorkerStatus s;
    s.id = sources_.worker_id;
    s.host = host_;
    s.pid = ::getpid();
    s.queues = sources_.queues;
    s.concurrency = sources_.concurrency;
    s.succeeded = sources_.counters.succeeded.load();
    s.failed = sources_.counters.failed.load();
    s.retried = sources_.counters.retried.load();
    s.dead = sources_.counters.dead.load();
    s.version = std::string(kVersion);
    s.started_at_ms = started_at_ms_;
    s.in_flight = sources_.running_job_ids();
    s.paused = sources_.paused_queues();
    {
        // Throughput: jobs finished since the oldest heartbeat sample of the last minute.
        Sample now{now_ms(), {}};
        for (const auto& q : sources_.queues) now.finished[q] = 0;
        {
            std::shared_lock lock(metrics_mutex_);
            for (const auto& [queue, n] : finished_) now.finished[queue] = n->load(std::memory_order_relaxed);
        }
        std::lock_guard lock(history_mutex_);
        history_.push_back(now);
        while (history_.size() > 1 && history_.front().at_ms < now.at_ms - 60'000) history_.pop_front();
        const Sample& base = history_.front();
        s.recent_window_ms = now.at_ms - base.at_ms;
        for (const auto& [queue, total] : now.finished) {
            auto b = base.finished.find(queue);
            s.recent_finished[queue] = total - (b == base.finished.end() ? 0 : b->second);
        }
    }
    if (sources_.stopping.load()) {
        s.state = WorkerState::stopping;
    } else if (!running_.load()) {
        s.state = WorkerState::starting;
    } else {
        s.state = s.in_flight.empty() ? WorkerState::idle : WorkerState::busy;
    }
    return s;
}

}  // namespace naq
