// naq's own figures, measured through the public API on the same server as the raw baseline.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "bench_common.hpp"

namespace naq::bench {

struct NaqResults {
    int concurrency = 0;  ///< worker concurrency used for the drains
    int fetch_batch = 0;
    double enqueue_many_rate = 0;                ///< jobs/s, one enqueue_many() call of n jobs (defaults)
    double enqueue_many_events_off_rate = 0;     ///< the same with events.enabled = false
    double enqueue_rate = 0;                     ///< jobs/s, enqueue() one at a time
    double enqueue_unique_rate = 0;              ///< jobs/s, unique jobs, each taking a free key
    double enqueue_unique_held_rate = 0;         ///< enqueues/s, unique jobs whose key is held (turned away)
    double drain_results_off = 0;                ///< jobs/s, no-op jobs, no result/status writes, no events
    double drain_results_on = 0;                 ///< jobs/s, no-op jobs, status + result written, no events
    double drain_batch = 0;                      ///< as drain_results_on, the jobs one batch with a callback
    double drain_progress = 0;                   ///< as drain_results_on, each handler reporting progress once
    double drain_rate_limited = 0;               ///< as drain_results_on, under a rate limit that never binds
    double drain_concurrency_limited = 0;        ///< as drain_results_on, a concurrency limit = the worker's
    std::optional<double> drain_events_on;       ///< jobs/s, results + events on (the defaults)
    Percentiles start_latency;                   ///< enqueue() → handler starts, idle worker
    Percentiles start_latency_high;              ///< the same for a high job behind a backlog of low ones
    std::optional<Percentiles> firing_lateness;  ///< nullopt: the scheduler is not built yet
    std::vector<std::pair<std::size_t, double>> backlog_us_per_job;  ///< backlog → µs per job
    std::optional<double> idle_rss_mb;                               ///< a `naq worker` process, default concurrency
    std::optional<double> rss_per_in_flight_kb;                      ///< extra RSS per job in flight
};

/// `url`: the server; `naq_binary`: the CLI for the worker-process RSS figures (may be empty).
NaqResults run_naq(const std::string& url, const Options& options);

}  // namespace naq::bench
