// bench_connection: what one NATS operation costs when the code opens a connection for it (what the
// Python naq did: connect, JetStream context, bind the bucket, one operation, close), when it
// acquires a naq scoped handle for it (naq::connection / jetstream / kv_store: the pooled
// connection underneath), and when it keeps a raw cnats handle open. Three operations: a core
// publish (A), a JetStream publish (B), a KV get (C); plus a scoped handle's acquire + release
// alone and the resident memory of 100 handles held at once. One private nats-server; prints one
// table with the targets of issue 10. See docs/performance.md, "Connection handles".
//
//   bench_connection [--ops 20000] [--core-ops N] [--connect-ops N] [--acquire-ops N]
//                    [--handles 100] [--rounds 40] [--json FILE] [--url URL]
//
// The counts are split into --rounds blocks; each round runs one block of every mode of an
// operation, back to back, in an order that rotates from round to round, so that the modes share
// the load of a busy machine alike. Every figure is the median of its blocks; every ratio the
// median of the ratios of blocks run back to back in the same round.
//
// (cnats lifetimes outside src/connection are allowed here: bench/ is not the library.)
#include <nats/nats.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "bench_support.hpp"
#include "naq/jetstream.hpp"
#include "naq/json.hpp"
#include "naq/kv_store.hpp"
#include "naq/names.hpp"

namespace naq::bench {

namespace {

constexpr const char* kStream = "BENCH_CONN";
constexpr const char* kCoreSubject = "bconn.core";
constexpr const char* kJsSubject = "bconn.js";
constexpr const char* kKey = "bench.key";
constexpr std::size_t kPayloadBytes = 100;

struct Options {
    std::size_t ops = 20'000;     ///< round-trip operations (B, C) per mode, over all rounds
    std::size_t core_ops = 0;     ///< core publishes (A) per mode; 0 = 20 × ops
    std::size_t connect_ops = 0;  ///< connect-per-operation runs per operation; 0 = ops / 20
    std::size_t acquire_ops = 0;  ///< acquire + release per handle kind; 0 = 50 × ops
    std::size_t handles = 100;    ///< handles held at once for the memory figures
    int rounds = 40;              ///< blocks per mode, interleaved; every figure is their median
    std::string json_path;        ///< also write every figure as JSON here
    std::string url;              ///< use this server instead of starting one
};

void usage() {
    std::puts(
        "bench_connection [--ops N] [--core-ops N] [--connect-ops N] [--acquire-ops N] [--handles N]\n"
        "                 [--rounds R] [--json FILE] [--url URL]\n"
        "  --ops N          KV gets and JetStream publishes per mode (default 20000); the\n"
        "                   other counts default to multiples of it: core publishes 20 N,\n"
        "                   connect-per-operation N / 20, acquire + release 50 N\n"
        "  --handles N      handles held at once for the memory rows (default 100)\n"
        "  --rounds R       blocks per mode, modes interleaved in rotating order; each figure is\n"
        "                   the median of its blocks, every ratio the median of the rounds' ratios\n"
        "                   (default 40)");
}

std::size_t to_size(const std::string& s) { return static_cast<std::size_t>(std::stoull(s)); }

Options parse(int argc, char** argv) {
    Options o;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) throw std::invalid_argument(a + " needs a value");
            return argv[++i];
        };
        if (a == "--ops")
            o.ops = to_size(value());
        else if (a == "--core-ops")
            o.core_ops = to_size(value());
        else if (a == "--connect-ops")
            o.connect_ops = to_size(value());
        else if (a == "--acquire-ops")
            o.acquire_ops = to_size(value());
        else if (a == "--handles")
            o.handles = to_size(value());
        else if (a == "--rounds")
            o.rounds = std::stoi(value());
        else if (a == "--json")
            o.json_path = value();
        else if (a == "--url")
            o.url = value();
        else if (a == "-h" || a == "--help") {
            usage();
            std::exit(0);
        } else {
            throw std::invalid_argument("unknown option " + a);
        }
    }
    if (o.ops == 0 || o.rounds < 1) throw std::invalid_argument("--ops and --rounds must be at least 1");
    if (o.core_ops == 0) o.core_ops = 20 * o.ops;
    if (o.connect_ops == 0) o.connect_ops = std::max<std::size_t>(1, o.ops / 20);
    if (o.acquire_ops == 0) o.acquire_ops = 50 * o.ops;
    return o;
}

/// What the Python naq opened for one operation: a connection, a JetStream context and (for KV)
/// the bound bucket. Closed and destroyed on scope exit.
struct RawHandle {
    natsConnection* nc = nullptr;
    jsCtx* js = nullptr;
    kvStore* kv = nullptr;

    RawHandle(const std::string& url, bool with_js, const std::string& bucket) {
        ok(natsConnection_ConnectTo(&nc, url.c_str()), "connect");
        if (!with_js) return;
        ok(natsConnection_JetStream(&js, nc, nullptr), "jetstream context");
        if (!bucket.empty()) ok(js_KeyValue(&kv, js, bucket.c_str()), "bind bucket");
    }
    ~RawHandle() {
        if (kv != nullptr) kvStore_Destroy(kv);
        if (js != nullptr) jsCtx_Destroy(js);
        natsConnection_Destroy(nc);  // closes
    }
    RawHandle(const RawHandle&) = delete;
    RawHandle& operator=(const RawHandle&) = delete;
};

void raw_publish(natsConnection* nc, const std::string& data) {
    ok(natsConnection_Publish(nc, kCoreSubject, data.data(), static_cast<int>(data.size())), "publish");
}

void raw_js_publish(jsCtx* js, const std::string& data) {
    jsErrCode code = static_cast<jsErrCode>(0);
    ok(js_Publish(nullptr, js, kJsSubject, data.data(), static_cast<int>(data.size()), nullptr, &code), "js publish",
       code);
}

void raw_kv_get(kvStore* kv) {
    kvEntry* e = nullptr;
    ok(kvStore_Get(&e, kv, kKey), "kv get");
    kvEntry_Destroy(e);
}

/// ops/s of `n` calls of `op` (after a short warm-up that is not timed).
template <class F>
double rate(std::size_t n, F&& op) {
    for (std::size_t i = 0; i < std::min<std::size_t>(n / 10, 100); ++i) op();
    auto start = Clock::now();
    for (std::size_t i = 0; i < n; ++i) op();
    double s = seconds_since(start);
    return s > 0 ? static_cast<double>(n) / s : 0;
}

long own_rss_kb() { return rss_kb(static_cast<int>(::getpid())); }

/// ops/s samples of one mode, one per round; the figure is their median.
struct Samples {
    std::vector<double> rates;
    double median() const {
        if (rates.empty()) return 0;
        return bench::median(rates);
    }
};

/// The median over rounds of a[i] / b[i]: blocks of the same round ran back to back, so each
/// pair shares the machine's load of that moment (more robust than a ratio of two medians).
double paired_ratio(const Samples& a, const Samples& b) {
    Samples ratios;
    for (std::size_t i = 0; i < std::min(a.rates.size(), b.rates.size()); ++i) {
        if (b.rates[i] > 0) ratios.rates.push_back(a.rates[i] / b.rates[i]);
    }
    return ratios.median();
}

/// One operation measured four ways.
struct Modes {
    Samples connect_per_op;  ///< raw cnats: connect (+ context, bind), one operation, close
    Samples raw_open;        ///< raw cnats handle opened once
    Samples scoped;          ///< naq scoped handle acquired and released around each operation
    Samples naq_kept;        ///< naq handle acquired once
};

struct Results {
    Modes core, js, kv;
    Samples acquire_connection, acquire_jetstream, acquire_kv;
    long naq_handles_kb = 0;  ///< RSS growth: `handles` naq kv_store() handles held at once
    long raw_handles_kb = 0;  ///< RSS growth: `handles` raw connections + context + bound bucket
};

class Bench {
public:
    Bench(const Options& o, const std::string& url) : o_(o), url_(url), data_(kPayloadBytes, 'x') {
        config_.nats.servers = {url};
        config_.nats.request_timeout = Millis(30'000);  // a busy 2-core machine: no spurious timeouts
        bucket_ = names::results_bucket(config_);
        StreamSpec spec;
        spec.name = kStream;
        spec.subjects = {kJsSubject};
        spec.max_msgs = 100'000;  // old messages dropped: the stream stays small
        jetstream(config_).ensure_stream(spec);
        kv_store(Bucket::results, config_).put(kKey, data_);
        raw_core_ = std::make_unique<RawHandle>(url_, false, "");
        raw_js_ = std::make_unique<RawHandle>(url_, true, "");
        raw_kv_ = std::make_unique<RawHandle>(url_, true, bucket_);
        kept_connection_.emplace(connection(config_));
        kept_jetstream_.emplace(jetstream(config_));
        kept_kv_.emplace(kv_store(Bucket::results, config_));
    }

    /// Memory first, before any connect-per-operation run has left freed heap and cached thread
    /// stacks behind that the raw connections would reuse.
    void memory(Results& r) const {
        long before = own_rss_kb();
        {
            std::vector<KvStore> held;
            held.reserve(o_.handles);
            for (std::size_t i = 0; i < o_.handles; ++i) held.push_back(kv_store(Bucket::results, config_));
            r.naq_handles_kb = own_rss_kb() - before;
        }
        before = own_rss_kb();
        {
            std::vector<std::unique_ptr<RawHandle>> held;
            held.reserve(o_.handles);
            for (std::size_t i = 0; i < o_.handles; ++i)
                held.push_back(std::make_unique<RawHandle>(url_, true, bucket_));
            r.raw_handles_kb = own_rss_kb() - before;
        }
    }

    /// One block of every mode of every operation; round `i` of `o_.rounds`.
    void round(int i, Results& r) const {
        core(i, r.core);
        js(i, r.js);
        kv(i, r.kv);
        const std::size_t n = per_round(o_.acquire_ops);
        r.acquire_connection.rates.push_back(rate(n, [&] {
            Connection c = connection(config_);
            sink_ += c.native_handle() != nullptr;
        }));
        r.acquire_jetstream.rates.push_back(rate(n, [&] {
            JetStream j = jetstream(config_);
            sink_ += j.native_handle() != nullptr;
        }));
        r.acquire_kv.rates.push_back(rate(n, [&] {
            KvStore k = kv_store(Bucket::results, config_);
            sink_ += k.native_handle() != nullptr;
        }));
    }

private:
    std::size_t per_round(std::size_t total) const {
        return std::max<std::size_t>(1, total / static_cast<std::size_t>(o_.rounds));
    }

    /// Runs one block of each of the four modes of an operation, in an order rotated by `round`,
    /// so that no mode is always the one measured first (or last) while the machine's load drifts.
    static void run_modes(int round, Modes& m, const std::function<double()>& connect_per_op,
                          const std::function<double()>& raw_open, const std::function<double()>& scoped,
                          const std::function<double()>& naq_kept) {
        const std::function<void()> steps[] = {
            [&] { m.connect_per_op.rates.push_back(connect_per_op()); },
            [&] { m.raw_open.rates.push_back(raw_open()); },
            [&] { m.scoped.rates.push_back(scoped()); },
            [&] { m.naq_kept.rates.push_back(naq_kept()); },
        };
        constexpr int kSteps = 4;
        for (int i = 0; i < kSteps; ++i) steps[(i + round) % kSteps]();
    }

    void core(int round, Modes& m) const {
        const std::string subject = kCoreSubject;
        const std::size_t n = per_round(o_.core_ops);
        run_modes(
            round, m,
            [&] {
                return rate(per_round(o_.connect_ops), [&] {
                    RawHandle h(url_, false, "");
                    raw_publish(h.nc, data_);
                    ok(natsConnection_FlushTimeout(h.nc, 10'000), "flush");  // delivered before the close
                });
            },
            [&] {
                auto start = Clock::now();
                for (std::size_t i = 0; i < n; ++i) raw_publish(raw_core_->nc, data_);
                ok(natsConnection_FlushTimeout(raw_core_->nc, 10'000), "flush");
                return static_cast<double>(n) / seconds_since(start);
            },
            [&] {
                auto start = Clock::now();
                for (std::size_t i = 0; i < n; ++i) connection(config_).publish(subject, data_);
                connection(config_).flush(Millis(10'000));
                return static_cast<double>(n) / seconds_since(start);
            },
            [&] {
                auto start = Clock::now();
                for (std::size_t i = 0; i < n; ++i) kept_connection_->publish(subject, data_);
                kept_connection_->flush(Millis(10'000));
                return static_cast<double>(n) / seconds_since(start);
            });
    }

    void js(int round, Modes& m) const {
        const std::string subject = kJsSubject;
        const std::size_t n = per_round(o_.ops);
        run_modes(
            round, m,
            [&] {
                return rate(per_round(o_.connect_ops), [&] {
                    RawHandle h(url_, true, "");
                    raw_js_publish(h.js, data_);
                });
            },
            [&] { return rate(n, [&] { raw_js_publish(raw_js_->js, data_); }); },
            [&] { return rate(n, [&] { jetstream(config_).publish(subject, data_); }); },
            [&] { return rate(n, [&] { kept_jetstream_->publish(subject, data_); }); });
    }

    void kv(int round, Modes& m) const {
        const std::string key = kKey;
        const std::size_t n = per_round(o_.ops);
        run_modes(
            round, m,
            [&] {
                return rate(per_round(o_.connect_ops), [&] {
                    RawHandle h(url_, true, bucket_);
                    raw_kv_get(h.kv);
                });
            },
            [&] { return rate(n, [&] { raw_kv_get(raw_kv_->kv); }); },
            [&] { return rate(n, [&] { sink_ += kv_store(Bucket::results, config_).get(key).revision; }); },
            [&] { return rate(n, [&] { sink_ += kept_kv_->get(key).revision; }); });
    }

    const Options& o_;
    std::string url_;
    std::string data_;
    Config config_;
    std::string bucket_;
    std::unique_ptr<RawHandle> raw_core_, raw_js_, raw_kv_;  // the raw open handles
    std::optional<Connection> kept_connection_;              // naq handles acquired once
    std::optional<JetStream> kept_jetstream_;
    std::optional<KvStore> kept_kv_;
    mutable uint64_t sink_ = 0;  // keeps the acquisitions from being optimised away
};

// ---- the table

struct Row {
    std::string key;  ///< stable id for JSON
    std::string label;
    double value = 0;
    std::string unit;    ///< "ops/s", "kB", "MB"
    std::string versus;  ///< what the ratio compares with, empty = none
    std::optional<double> ratio;
    std::string target;  ///< e.g. "≥ 0.90", empty = none
    std::optional<bool> met;
};

struct Section {
    std::string title;
    std::vector<Row> rows;
};

std::string header(const Options& o, const std::string& url) {
    char buf[768];
    std::snprintf(buf, sizeof(buf),
                  "naq connection benchmark — %s, GCC %s%s\n"
                  "server %s (file storage); per mode: %zu KV gets / JetStream publishes, %zu core publishes,\n"
                  "%zu connect-per-operation runs, %zu acquire + release; in %d interleaved rounds: figures are "
                  "the median round,\nratios the median of the rounds' ratios",
                  machine_description().c_str(), __VERSION__,
#ifdef NDEBUG
                  "",
#else
                  " (assertions on: not a Release build)",
#endif
                  url.c_str(), o.ops, o.core_ops, o.connect_ops, o.acquire_ops, o.rounds);
    return buf;
}

Row ratio_row(std::string key, std::string label, const Samples& v, const Samples& base, std::string versus,
              double target) {
    Row r{std::move(key), std::move(label), v.median(), "ops/s", std::move(versus)};
    if (r.value > 0 && base.median() > 0) r.ratio = paired_ratio(v, base);
    if (target > 0) {
        char t[32];
        std::snprintf(t, sizeof(t), target >= 10 ? "≥ %.0f" : "≥ %.2f", target);
        r.target = t;
        r.met = r.ratio && *r.ratio >= target;
    }
    return r;
}

/// The rows of one operation; `open_target` (0 = none) applies to scoped / raw open.
Section operation(const std::string& key, const std::string& title, const std::string& scoped_label, const Modes& m,
                  double open_target) {
    Section s{title, {}};
    s.rows.push_back({key + "_connect_per_op", "raw cnats, connect per operation", m.connect_per_op.median(), "ops/s"});
    s.rows.push_back({key + "_raw_open", "raw cnats, handle kept open", m.raw_open.median(), "ops/s"});
    s.rows.push_back(
        ratio_row(key + "_scoped_vs_open", scoped_label, m.scoped, m.raw_open, "raw open handle", open_target));
    s.rows.push_back(
        ratio_row(key + "_scoped_vs_connect", scoped_label, m.scoped, m.connect_per_op, "connect per operation", 5.0));
    s.rows.push_back(
        ratio_row(key + "_naq_kept", "naq handle kept (acquired once)", m.naq_kept, m.raw_open, "raw open handle", 0));
    return s;
}

std::vector<Section> build(const Options& o, const Results& r) {
    std::vector<Section> out;
    out.push_back(operation("core_publish", "A  core publish, 100 B (no ack; flushed at the end)",
                            "naq::connection() + publish, per op", r.core, 0));
    out.push_back(operation("js_publish", "B  JetStream publish, 100 B, wait for the ack",
                            "naq::jetstream() + publish, per op", r.js, 0));
    out.push_back(operation("kv_get", "C  KV get (bucket naq_results, 100 B value)", "naq::kv_store() + get, per op",
                            r.kv, 0.90));
    Section acquire{"scoped handle acquire + release alone (no server call)", {}};
    auto acq = [&](const char* key, const char* label, double v) {
        Row row{key, label, v, "ops/s"};
        row.target = "≥ 1 M/s";
        row.met = v >= 1e6;
        acquire.rows.push_back(row);
    };
    acq("acquire_connection", "naq::connection(config)", r.acquire_connection.median());
    acq("acquire_jetstream", "naq::jetstream(config)", r.acquire_jetstream.median());
    acq("acquire_kv_store", "naq::kv_store(Bucket::results, config)", r.acquire_kv.median());
    out.push_back(acquire);
    const double n = static_cast<double>(o.handles);
    const std::string h = std::to_string(o.handles);
    Section mem{"resident memory (VmRSS growth), " + h + " handles held at once", {}};
    mem.rows.push_back({"rss_raw_handles", h + " raw connections (+ context, bound bucket)",
                        static_cast<double>(r.raw_handles_kb) / 1024.0, "MB"});
    mem.rows.push_back({"rss_raw_per_handle", "  per raw connection", static_cast<double>(r.raw_handles_kb) / n, "kB"});
    mem.rows.push_back({"rss_naq_handles", h + " naq kv_store() handles (1 pooled connection)",
                        static_cast<double>(r.naq_handles_kb) / 1024.0, "MB"});
    mem.rows.push_back({"rss_naq_per_handle", "  per naq handle", static_cast<double>(r.naq_handles_kb) / n, "kB"});
    out.push_back(mem);
    return out;
}

std::string format_value(const Row& r) {
    if (r.unit == "ops/s") return grouped(r.value) + " ops/s";
    char buf[64];
    std::snprintf(buf, sizeof(buf), "%.2f %s", r.value, r.unit.c_str());
    return buf;
}

void print(const std::string& head, const std::vector<Section>& sections) {
    std::printf("%s\n\n  %s%s%s%s%s\n", head.c_str(), pad("", 50).c_str(), pad("value", 18).c_str(),
                pad("ratio", 10).c_str(), pad("of", 24).c_str(), "target");
    for (const auto& s : sections) {
        std::printf("\n%s\n", s.title.c_str());
        for (const auto& r : s.rows) {
            std::string line = "  " + pad(r.label, 50) + pad(format_value(r), 18);
            char ratio[32] = "";
            if (r.ratio) std::snprintf(ratio, sizeof(ratio), *r.ratio >= 100 ? "%.0f×" : "%.2f×", *r.ratio);
            line += pad(ratio, 10) + pad(r.versus, 24) + pad(r.target, 10);
            if (r.met) line += *r.met ? "met" : "MISSED";
            while (!line.empty() && line.back() == ' ') line.pop_back();
            std::printf("%s\n", line.c_str());
        }
    }
    std::fflush(stdout);
}

void write_json(const std::string& head, const std::vector<Section>& sections, const std::string& path) {
    Json rows = Json::array();
    for (const auto& s : sections) {
        for (const auto& r : s.rows) {
            Json j = {{"section", s.title}, {"key", r.key}, {"label", r.label}, {"value", r.value}, {"unit", r.unit}};
            if (!r.versus.empty()) j["versus"] = r.versus;
            if (r.ratio) j["ratio"] = *r.ratio;
            if (!r.target.empty()) j["target"] = r.target;
            if (r.met) j["met"] = *r.met;
            rows.push_back(j);
        }
    }
    std::ofstream out(path);
    out << Json{{"header", head}, {"rows", rows}}.dump(2) << "\n";
    if (!out) throw std::runtime_error("cannot write " + path);
}

}  // namespace

int run(int argc, char** argv) {
    return run_benchmark("bench_connection", argc, argv, parse, usage, [](const Options& o, const std::string& url) {
        Results results;
        {
            Bench bench(o, url);
            std::fprintf(stderr, "bench_connection: memory of %zu handles...\n", o.handles);
            bench.memory(results);
            for (int i = 0; i < o.rounds; ++i) {
                std::fprintf(stderr, "bench_connection: round %d of %d...\n", i + 1, o.rounds);
                bench.round(i, results);
            }
        }
        std::string head = header(o, url);
        auto sections = build(o, results);
        print(head, sections);
        if (!o.json_path.empty()) write_json(head, sections, o.json_path);
    });
}

}  // namespace naq::bench

int main(int argc, char** argv) { return naq::bench::run(argc, argv); }
