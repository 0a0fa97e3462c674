// Shared pieces of bench_naq: options, percentiles, the result table.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "bench_support.hpp"

namespace naq::bench {

struct Options {
    std::size_t n = 100'000;                             ///< jobs / messages per throughput measurement
    std::size_t n_single = 5'000;                        ///< one-at-a-time enqueues and sync publishes
    std::size_t latency_samples = 1'000;                 ///< enqueue→start and publish→receive samples
    std::vector<std::size_t> backlogs{10'000, 100'000};  ///< --backlog-1m adds 1'000'000
    int concurrency = 0;                                 ///< naq worker concurrency; 0 = config default
    int fetch_batch = 0;                                 ///< naq worker fetch batch; 0 = config default
    int rss_in_flight = 200;                             ///< jobs in flight for the RSS-per-job figure
    bool skip_rss = false;
    std::string only;         ///< run only measurements whose key contains this
    std::string json_path;    ///< also write every figure as JSON here
    std::string peer_json;    ///< BullMQ figures from bench/peers (see run.sh)
    std::string naq_binary;   ///< the naq CLI, for the worker-process RSS figures
    std::string url;          ///< use this server instead of starting one
    int rounds = 1;           ///< throughput figures: the median of this many rounds
    bool rates_only = false;  ///< a later round: throughput figures only
};

inline int64_t now_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count();
}

/// p50 / p99 / max of a set of samples in milliseconds.
struct Percentiles {
    double p50 = 0, p99 = 0, max = 0;
    std::size_t count = 0;
};

inline Percentiles percentiles(std::vector<double> ms) {
    Percentiles p;
    if (ms.empty()) return p;
    std::sort(ms.begin(), ms.end());
    auto at = [&](double q) {
        return ms[std::min(ms.size() - 1, static_cast<std::size_t>(q * static_cast<double>(ms.size() - 1) + 0.5))];
    };
    p.p50 = at(0.50);
    p.p99 = at(0.99);
    p.max = ms.back();
    p.count = ms.size();
    return p;
}

/// One line of the table: a naq figure, its raw JetStream counterpart and the ratio.
struct Row {
    std::string key;    ///< stable id for JSON ("drain_results_off")
    std::string label;  ///< what was measured
    std::optional<double> value;
    std::string unit;    ///< "jobs/s", "ms", "MB", "µs/job"
    std::string versus;  ///< what the ratio compares with ("raw fetch+ack"), empty = none
    std::optional<double> ratio;
    std::string target;  ///< the target as text ("≥ 0.50"), empty = none
    std::optional<bool> met;
    std::string note;  ///< "n/a (not built)" and similar
};

/// The whole run: raw rows first, then naq rows.
struct Report {
    std::string header;
    std::vector<Row> raw;
    std::vector<Row> naq;
    std::vector<Row> peers;
};

void print_table(const Report& report);
void write_json(const Report& report, const std::string& path);

}  // namespace naq::bench
