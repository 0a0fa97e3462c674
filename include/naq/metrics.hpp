// Metrics: a small thread-safe registry of counters, gauges and fixed-bucket histograms with
// labels, rendered in the Prometheus text format, and an HTTP server for GET /metrics.
// The worker and the scheduler record into naq::metrics::registry(); `naq worker
// --metrics-port P` / `naq scheduler --metrics-port P` serve it. docs/observability.md lists
// every metric.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace naq::metrics {

/// Label name → value pairs, e.g. {{"queue", "emails"}, {"task", "send"}}.
using Labels = std::vector<std::pair<std::string, std::string>>;

/// A monotonically increasing value (Prometheus counter). Thread-safe (atomics, no lock).
class Counter {
public:
    void inc(double by = 1.0) { value_.fetch_add(by, std::memory_order_relaxed); }
    /// For counters mirrored from elsewhere (e.g. the connection's reconnect count).
    void set(double total) { value_.store(total, std::memory_order_relaxed); }
    double value() const { return value_.load(std::memory_order_relaxed); }

private:
    std::atomic<double> value_{0};
};

/// A value that goes up and down (Prometheus gauge). Thread-safe (atomics, no lock).
class Gauge {
public:
    void set(double v) { value_.store(v, std::memory_order_relaxed); }
    void add(double by) { value_.fetch_add(by, std::memory_order_relaxed); }
    double value() const { return value_.load(std::memory_order_relaxed); }

private:
    std::atomic<double> value_{0};
};

/// Observations counted into fixed buckets, with their sum (Prometheus histogram).
/// Thread-safe (atomics, no lock).
class Histogram {
public:
    /// `bounds`: ascending upper bounds; +Inf is implied.
    explicit Histogram(std::vector<double> bounds);
    void observe(double value);
    void observe(std::chrono::nanoseconds d) { observe(std::chrono::duration<double>(d).count()); }

    struct Snapshot {
        std::vector<double> bounds;
        std::vector<uint64_t> cumulative;  ///< per bound, then +Inf (== count)
        double sum = 0;
        uint64_t count = 0;
    };
    Snapshot snapshot() const;

private:
    std::vector<double> bounds_;
    std::unique_ptr<std::atomic<uint64_t>[]> buckets_;  // per bound, then +Inf; not cumulative
    std::atomic<double> sum_{0};
};

/// Default buckets for durations in seconds: 1 ms … 60 s.
const std::vector<double>& duration_buckets();

/// Metric families by name. Getters create on first use and return a reference that stays valid
/// for the registry's life; keep it instead of looking it up per event on hot paths.
/// A name is one kind (counter, gauge or histogram) with one label set per series; asking for it
/// as another kind throws naq::InvalidArgument.
class Registry {
public:
    Registry();
    ~Registry();
    Registry(const Registry&) = delete;
    Registry& operator=(const Registry&) = delete;

    /// The series `name{labels}`, created on first use with `help` as its description.
    Counter& counter(std::string_view name, std::string_view help, const Labels& labels = {});
    Gauge& gauge(std::string_view name, std::string_view help, const Labels& labels = {});
    Histogram& histogram(std::string_view name, std::string_view help, const Labels& labels = {},
                         const std::vector<double>& bounds = duration_buckets());

    /// Runs `fn` before every render (to refresh mirrored values); returns a handle for remove_hook.
    uint64_t add_hook(std::function<void()> fn);
    void remove_hook(uint64_t handle);

    /// Every family in the Prometheus text exposition format (version 0.0.4), sorted by name.
    std::string render() const;

private:
    struct Family;
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

/// The process-wide registry naq's components record into.
Registry& registry();

/// For the scheduler: how late a schedule fired (fire time − due time), as the histogram
/// naq_scheduler_lateness_seconds and the counter naq_schedules_fired_total{queue}.
void record_schedule_fired(std::string_view queue, std::chrono::milliseconds lateness);

/// Serves GET /metrics (text/plain; version=0.0.4) from a registry on its own thread.
class MetricsServer {
public:
    /// Listens on `host`:`port` (port 0 = any free port; see port()). Throws naq::Error when the
    /// port cannot be bound.
    explicit MetricsServer(int port, std::string host = "0.0.0.0", Registry& source = registry());
    ~MetricsServer();  ///< stops listening
    MetricsServer(const MetricsServer&) = delete;
    MetricsServer& operator=(const MetricsServer&) = delete;

    int port() const { return port_; }

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
    int port_ = 0;
};

}  // namespace naq::metrics
