// bench_naq: raw cnats JetStream and naq measured side by side on one private nats-server, printed
// as one table of naq figures and their ratios to the raw baseline. See docs/performance.md.
//
//   bench_naq [--n 100000] [--n-single 5000] [--latency-samples 1000] [--backlog-1m]
//             [--concurrency C] [--fetch-batch B] [--rss-in-flight 200] [--no-rss]
//             [--only KEY] [--json FILE] [--peer-json FILE] [--naq-binary PATH] [--url URL]
#include <nats/nats.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <thread>

#include "bench_common.hpp"
#include "bench_support.hpp"
#include "naq/connection.hpp"
#include "naq/json.hpp"
#include "naq_measure.hpp"
#include "raw_cnats.hpp"

#ifndef NAQ_BENCH_NAQ_BINARY
#define NAQ_BENCH_NAQ_BINARY ""
#endif

namespace naq::bench {

namespace {

void usage() {
    std::puts(
        "bench_naq [--n N] [--n-single N] [--latency-samples N] [--backlog-1m] [--backlogs a,b,c]\n"
        "          [--concurrency C] [--fetch-batch B] [--rss-in-flight N] [--no-rss] [--only KEY]\n"
        "          [--json FILE] [--peer-json FILE] [--naq-binary PATH] [--url URL] [--rounds K]\n"
        "--rounds K: measure every throughput figure (raw and naq) K times, alternating, and report\n"
        "            the median of each (backlogs up to 100k too); latencies, 1M backlog, memory once.");
}

std::size_t to_size(const char* s) { return static_cast<std::size_t>(std::stoull(s)); }

Options parse(int argc, char** argv) {
    Options o;
    o.naq_binary = NAQ_BENCH_NAQ_BINARY;
    bool backlogs_given = false;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        auto value = [&]() -> const char* {
            if (i + 1 >= argc) throw std::invalid_argument(a + " needs a value");
            return argv[++i];
        };
        if (a == "--n")
            o.n = to_size(value());
        else if (a == "--n-single")
            o.n_single = to_size(value());
        else if (a == "--latency-samples")
            o.latency_samples = to_size(value());
        else if (a == "--backlog-1m")
            o.backlogs.push_back(1'000'000);
        else if (a == "--backlogs") {
            o.backlogs.clear();
            backlogs_given = true;
            std::string list = value();
            for (std::size_t p = 0; p < list.size();) {
                std::size_t e = list.find(',', p);
                o.backlogs.push_back(to_size(list.substr(p, e - p).c_str()));
                p = e == std::string::npos ? list.size() : e + 1;
            }
        } else if (a == "--concurrency")
            o.concurrency = std::stoi(value());
        else if (a == "--fetch-batch")
            o.fetch_batch = std::stoi(value());
        else if (a == "--rss-in-flight")
            o.rss_in_flight = std::stoi(value());
        else if (a == "--no-rss")
            o.skip_rss = true;
        else if (a == "--only")
            o.only = value();
        else if (a == "--json")
            o.json_path = value();
        else if (a == "--peer-json")
            o.peer_json = value();
        else if (a == "--naq-binary")
            o.naq_binary = value();
        else if (a == "--url")
            o.url = value();
        else if (a == "--rounds")
            o.rounds = std::max(1, std::stoi(value()));
        else if (a == "-h" || a == "--help") {
            usage();
            std::exit(0);
        } else {
            throw std::invalid_argument("unknown option " + a);
        }
    }
    // A tiny run (the smoke test) keeps its backlogs tiny too.
    if (!backlogs_given && o.n < 10'000) o.backlogs = {o.n};
    o.n_single = std::min(o.n_single, o.n);
    return o;
}

std::string header(const Options& o, const std::string& url) {
    char buf[512];
    std::snprintf(buf, sizeof(buf),
                  "naq benchmark — %s\n"
                  "server %s (file storage), N = %zu, one-at-a-time N = %zu, latency samples = %zu, "
                  "throughput: median of %d round(s)",
                  machine_description().c_str(), url.c_str(), o.n, o.n_single, o.latency_samples, o.rounds);
    return buf;
}

Row rate_row(std::string key, std::string label, double v, double base, std::string versus, double target) {
    Row r{std::move(key), std::move(label), v, "jobs/s", std::move(versus)};
    if (v > 0 && base > 0) r.ratio = v / base;
    if (target > 0) {
        char t[32];
        std::snprintf(t, sizeof(t), "≥ %.2f", target);
        r.target = t;
        if (r.ratio) r.met = *r.ratio >= target;
    }
    if (v <= 0) r.value.reset();
    return r;
}

Row latency_row(std::string key, std::string label, double v, double raw, double target_ms) {
    Row r{std::move(key), std::move(label), v, "ms", "raw publish→receive"};
    if (raw > 0) r.ratio = v / raw;
    char t[32];
    std::snprintf(t, sizeof(t), "≤ %g ms", target_ms);
    r.target = t;
    r.met = v <= target_ms;
    return r;
}

// Round 1's results with every throughput figure replaced by its median over the rounds.
template <class Results, class... Fields>
Results median_of(const std::vector<Results>& rounds, Fields... fields) {
    Results out = rounds.front();
    auto take = [&](auto field) {
        std::vector<double> values;
        for (const auto& r : rounds) values.push_back(r.*field);
        out.*field = median(std::move(values));
    };
    (take(fields), ...);
    return out;
}

RawResults median_rates(const std::vector<RawResults>& rounds) {
    return median_of(rounds, &RawResults::async_publish_rate, &RawResults::async_publish_msg_id_rate,
                     &RawResults::sync_publish_rate, &RawResults::fetch_ack_rate);
}

NaqResults median_rates(const std::vector<NaqResults>& rounds) {
    NaqResults out =
        median_of(rounds, &NaqResults::enqueue_many_rate, &NaqResults::enqueue_many_events_off_rate,
                  &NaqResults::enqueue_rate, &NaqResults::drain_results_off, &NaqResults::drain_results_on,
                  &NaqResults::enqueue_unique_rate, &NaqResults::enqueue_unique_held_rate, &NaqResults::drain_batch,
                  &NaqResults::drain_progress, &NaqResults::drain_rate_limited, &NaqResults::drain_concurrency_limited);
    std::vector<double> events_on;
    for (const auto& r : rounds) {
        if (r.drain_events_on) events_on.push_back(*r.drain_events_on);
    }
    if (!events_on.empty()) out.drain_events_on = median(std::move(events_on));
    return out;
}

Report build_report(const Options& o, const std::string& url, const RawResults& raw, const NaqResults& nq) {
    Report rep;
    rep.header = header(o, url);
    rep.raw = {
        {"raw_async_publish", "async publish, 100 B, 4096 pending", raw.async_publish_rate, "msgs/s"},
        {"raw_async_publish_msg_id", "… 250 B with a Nats-Msg-Id each", raw.async_publish_msg_id_rate, "msgs/s"},
        {"raw_sync_publish", "sync publish, one at a time", raw.sync_publish_rate, "msgs/s"},
        {"raw_fetch_ack", "pull fetch(256) + ack, 1 thread", raw.fetch_ack_rate, "msgs/s"},
        {"raw_latency_p50", "publish → waiting consumer, p50", raw.latency.p50, "ms"},
        {"raw_latency_p99", "publish → waiting consumer, p99", raw.latency.p99, "ms"},
    };
    auto& n = rep.naq;
    n.push_back(rate_row("enqueue_many", "enqueue_many, defaults (events on)", nq.enqueue_many_rate,
                         raw.async_publish_rate, "raw async publish", 0.70));
    n.push_back(rate_row("enqueue_many_events_off", "enqueue_many, events off", nq.enqueue_many_events_off_rate,
                         raw.async_publish_rate, "raw async publish", 0));
    n.push_back(rate_row("enqueue_many_vs_msg_id", "enqueue_many, defaults", nq.enqueue_many_rate,
                         raw.async_publish_msg_id_rate, "raw publish with msg id", 0));
    n.push_back(rate_row("enqueue_one", "enqueue, one at a time", nq.enqueue_rate, raw.sync_publish_rate,
                         "raw sync publish", 0));
    n.push_back(rate_row("enqueue_unique", "enqueue unique jobs, one at a time, free keys", nq.enqueue_unique_rate,
                         nq.enqueue_rate, "naq enqueue, not unique", 0));
    n.push_back(rate_row("enqueue_unique_held", "enqueue unique jobs, key held (turned away)",
                         nq.enqueue_unique_held_rate, nq.enqueue_rate, "naq enqueue, not unique", 0));
    std::string c = " (c=" + std::to_string(nq.concurrency) + ")";
    n.push_back(rate_row("drain_results_off", "drain no-op, results off, events off" + c, nq.drain_results_off,
                         raw.fetch_ack_rate, "raw fetch+ack", 0.50));
    n.push_back(rate_row("drain_results_on", "drain no-op, results on, events off" + c, nq.drain_results_on,
                         raw.fetch_ack_rate, "raw fetch+ack", 0.30));
    n.push_back(rate_row("drain_progress", "drain no-op reporting progress once, results on" + c, nq.drain_progress,
                         nq.drain_results_on, "naq drain, results on", 0));
    n.push_back(rate_row("drain_batch", "drain no-op, one batch with a callback, results on" + c, nq.drain_batch,
                         nq.drain_results_on, "naq drain, results on", 0));
    n.push_back(rate_row("drain_rate_limited", "drain no-op, queue rate limit (never reached), results on" + c,
                         nq.drain_rate_limited, nq.drain_results_on, "naq drain, results on", 0));
    n.push_back(rate_row("drain_concurrency_limited", "drain no-op, queue concurrency limit = c, results on" + c,
                         nq.drain_concurrency_limited, nq.drain_results_on, "naq drain, results on", 0));
    Row events = rate_row("drain_events_on", "drain no-op, results + events on" + c, nq.drain_events_on.value_or(0),
                          raw.fetch_ack_rate, "raw fetch+ack", 0);
    if (!nq.drain_events_on) events.note = "n/a (not built)";
    n.push_back(events);
    if (nq.start_latency.count > 0) {
        n.push_back(latency_row("start_latency_p50", "enqueue → handler start, idle, p50", nq.start_latency.p50,
                                raw.latency.p50, 1));
        n.push_back(latency_row("start_latency_p99", "enqueue → handler start, idle, p99", nq.start_latency.p99,
                                raw.latency.p99, 5));
    }
    if (nq.start_latency_high.count > 0) {
        Row high{"start_latency_high_p99", "… a high job behind a low backlog (all busy), p99",
                 nq.start_latency_high.p99, "ms", "naq idle p99"};
        if (nq.start_latency.count > 0 && nq.start_latency.p99 > 0)
            high.ratio = nq.start_latency_high.p99 / nq.start_latency.p99;
        n.push_back(high);
    }
    Row firing{
        "firing_lateness_p99", "delayed job firing lateness, p99", std::nullopt, "ms", "", std::nullopt, "≤ 20 ms"};
    if (nq.firing_lateness)
        firing.value = nq.firing_lateness->p99;
    else
        firing.note = "n/a (not built)";
    if (firing.value) firing.met = *firing.value <= 20;
    n.push_back(firing);
    double first = nq.backlog_us_per_job.empty() ? 0 : nq.backlog_us_per_job.front().second;
    for (const auto& [b, us] : nq.backlog_us_per_job) {
        Row r{"backlog_" + std::to_string(b), "per-job cost, backlog " + std::to_string(b) + " (results on)", us,
              "µs/job", "backlog " + std::to_string(nq.backlog_us_per_job.front().first)};
        r.ratio = us / first;
        r.target = "± 20 %";
        r.met = std::fabs(*r.ratio - 1.0) <= 0.20;
        n.push_back(r);
    }
    if (!o.skip_rss) {
        Row idle{"idle_rss", "idle `naq worker` RSS (default concurrency)", nq.idle_rss_mb, "MB", "", std::nullopt,
                 "≤ 15 MB"};
        if (idle.value)
            idle.met = *idle.value <= 15;
        else
            idle.note = "n/a (no naq binary)";
        n.push_back(idle);
        Row per{"rss_per_in_flight", "RSS per in-flight job (" + std::to_string(o.rss_in_flight) + " sleeping)",
                nq.rss_per_in_flight_kb, "kB"};
        if (!per.value) per.note = "n/a";
        n.push_back(per);
    }
    if (!o.peer_json.empty()) {
        std::ifstream in(o.peer_json);
        Json p = Json::parse(in, nullptr, false);
        if (p.is_object()) {
            double enq = p.value("enqueue_rate", 0.0), proc = p.value("process_rate", 0.0);
            std::string bc = " (c=" + std::to_string(p.value("concurrency", 0)) + ")";
            rep.peers.push_back({"bullmq_enqueue", "BullMQ addBulk", enq, "jobs/s"});
            rep.peers.push_back({"bullmq_process", "BullMQ worker drain, no-op" + bc, proc, "jobs/s"});
            rep.peers.push_back(rate_row("vs_bullmq_process", "naq processing, defaults" + c,
                                         nq.drain_events_on.value_or(0), proc, "BullMQ drain", 3.0));
            rep.peers.push_back(
                rate_row("vs_bullmq_enqueue", "naq enqueue_many", nq.enqueue_many_rate, enq, "BullMQ addBulk", 0));
        }
    }
    return rep;
}

}  // namespace

int run(int argc, char** argv) {
    return run_benchmark("bench_naq", argc, argv, parse, usage, [](const Options& o, const std::string& url) {
        std::vector<RawResults> raws;
        std::vector<NaqResults> naqs;
        for (int round = 1; round <= o.rounds; ++round) {
            Options ro = o;
            ro.rates_only = round > 1;
            std::fprintf(stderr, "bench_naq: round %d/%d: raw cnats baseline...\n", round, o.rounds);
            raws.push_back(run_raw(url, ro));
            std::fprintf(stderr, "bench_naq: round %d/%d: naq...\n", round, o.rounds);
            naqs.push_back(run_naq(url, ro));
        }
        RawResults raw = median_rates(raws);
        NaqResults nq = median_rates(naqs);
        Report rep = build_report(o, url, raw, nq);
        print_table(rep);
        if (!o.json_path.empty()) write_json(rep, o.json_path);
    });
}

}  // namespace naq::bench

int main(int argc, char** argv) { return naq::bench::run(argc, argv); }
