// bench_scheduler: firing lateness of the scheduler (not a test; asserts nothing).
//
// Starts a private nats-server and one in-process naq::Scheduler, stores delayed jobs due in the
// same second, and measures for every run: (time its job reaches a core-NATS subscriber on the
// queue subject) - (its due time). Scenarios:
//   1. 1,000 delayed jobs due in one second, spread 1 ms apart
//   2. 1,000 delayed jobs all due at the same instant (a burst)
//   3. as 1, with 10,000 other schedules pending in the heap (intervals and delayed jobs)
// Usage: bench_scheduler [N=1000] [PENDING=10000]
#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <spdlog/spdlog.h>

#include "naq/connection.hpp"
#include "naq/local_server.hpp"
#include "naq/names.hpp"
#include "naq/queue.hpp"
#include "naq/schedule.hpp"
#include "naq/scheduler.hpp"

namespace {

using Clock = std::chrono::system_clock;

double now_ms_f() { return std::chrono::duration<double, std::milli>(Clock::now().time_since_epoch()).count(); }

struct Collector {
    std::mutex mutex;
    std::condition_variable cv;
    std::vector<double> lateness;
    std::string prefix;

    void reset(const std::string& p) {
        std::lock_guard lock(mutex);
        lateness.clear();
        prefix = p;
    }
};

double pct(std::vector<double> v, double p) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size() - 1) + 0.5))];
}

void report(const char* name, const std::vector<double>& v, std::size_t expected, const naq::SchedulerStats& s) {
    std::printf("%-52s %6zu/%-6zu %8.2f %8.2f %8.2f\n", name, v.size(), expected, pct(v, 0.5), pct(v, 0.99),
                v.empty() ? 0.0 : *std::max_element(v.begin(), v.end()));
    std::printf(
        "  scheduler's own view (until the publish ack): %llu fired, p50 %.2f p99 %.2f max %.2f ms; "
        "%llu duplicates, %llu failures\n",
        static_cast<unsigned long long>(s.fired), s.lateness.p50_ms, s.lateness.p99_ms, s.lateness.max_ms,
        static_cast<unsigned long long>(s.duplicates), static_cast<unsigned long long>(s.failures));
}

// Stores n delayed jobs due from `due_ms` on, `step_ms` apart; job id "<tag>-<i>-<due>".
void add_delayed(naq::Queue& q, const std::string& tag, int n, int64_t due_ms, int64_t step_ms) {
    for (int i = 0; i < n; ++i) {
        int64_t due = due_ms + step_ms * i;
        q.enqueue_at(Clock::time_point(std::chrono::milliseconds(due)), "echo", naq::Json::object(),
                     {.job_id = tag + "-" + std::to_string(i) + "-" + std::to_string(due)});
    }
}

std::vector<double> wait_for(Collector& c, std::size_t n, std::chrono::seconds timeout) {
    std::unique_lock lock(c.mutex);
    c.cv.wait_for(lock, timeout, [&] { return c.lateness.size() >= n; });
    return c.lateness;
}

}  // namespace

int main(int argc, char** argv) {
    const int n = argc > 1 ? std::atoi(argv[1]) : 1000;
    const int pending = argc > 2 ? std::atoi(argv[2]) : 10000;
    spdlog::set_level(spdlog::level::warn);
    naq::LocalNatsServer server;
    naq::Config config;
    config.nats.servers = {server.url()};
    config.jetstream.prefix = "bench";
    config.jetstream.max_job_bytes = -1;
    config.log.level = naq::LogLevel::warn;

    naq::Queue q("bench", config);
    Collector collector;
    auto conn = naq::connection(config);
    auto sub = conn.subscribe(naq::names::queue_subject(config, "bench"), [&](std::string_view, std::string_view data) {
        double arrived = now_ms_f();
        // Cheap on purpose (no full JSON decode): this callback runs once per message on cnats'
        // delivery thread, and time spent here would queue up the next arrivals.
        auto at = data.find("\"id\":\"");
        if (at == std::string_view::npos) return;
        std::string_view id = data.substr(at + 6);
        id = id.substr(0, id.find('"'));
        std::lock_guard lock(collector.mutex);
        if (id.substr(0, collector.prefix.size()) != collector.prefix) return;
        double due = std::stod(std::string(id.substr(id.rfind('-') + 1)));
        collector.lateness.push_back(arrived - due);
        collector.cv.notify_all();
    });

    std::printf("bench_scheduler: nats-server %s, %d runs per scenario; lateness = arrival at a subscriber - due, ms\n",
                server.url().c_str(), n);
    std::printf("%-52s %13s %8s %8s %8s\n", "scenario", "runs", "p50", "p99", "max");

    auto scenario = [&](const char* name, const std::string& tag, int64_t step_ms, bool with_pending) {
        naq::Scheduler scheduler(config);
        std::thread t([&] { scheduler.run(); });
        scheduler.wait_started();
        if (with_pending) {
            auto t0 = std::chrono::steady_clock::now();
            int64_t later = naq::now_ms() + 3'600'000;
            for (int i = 0; i < pending / 2; ++i) q.schedule(naq::Every{std::chrono::hours(1)}, "echo");
            add_delayed(q, tag + "p", pending - pending / 2, later, 1);
            double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
            while (scheduler.stats().schedules < static_cast<uint64_t>(pending)) std::this_thread::yield();
            std::printf("  (%d pending schedules stored in %.1f s; heap holds %llu)\n", pending, secs,
                        static_cast<unsigned long long>(scheduler.stats().schedules));
        }
        collector.reset(tag + "-");
        int64_t due = (naq::now_ms() / 1000 + 3) * 1000;  // a whole second, after the stores below
        add_delayed(q, tag, n, due, step_ms);
        auto lateness = wait_for(collector, static_cast<std::size_t>(n), std::chrono::seconds(60));
        // The scheduler counts a run once its schedule is advanced, a little after the arrival.
        auto settle = std::chrono::steady_clock::now() + std::chrono::seconds(30);
        while (scheduler.stats().fired < static_cast<uint64_t>(n) && std::chrono::steady_clock::now() < settle) {
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        report(name, lateness, static_cast<std::size_t>(n), scheduler.stats());
        scheduler.stop();
        t.join();
        q.purge();
    };
    std::string ns = std::to_string(n);
    scenario((ns + " delayed jobs due in one second (1 ms apart)").c_str(), "spread", 1000 / std::max(n, 1), false);
    scenario((ns + " delayed jobs due at the same instant").c_str(), "burst", 0, false);
    scenario((ns + " in one second, " + std::to_string(pending) + " schedules pending").c_str(), "loaded",
             1000 / std::max(n, 1), true);
    naq::close_all_connections();
    return 0;
}
