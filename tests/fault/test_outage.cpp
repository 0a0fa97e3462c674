// Server outages: nats-server stopped (SIGTERM) or killed (SIGKILL) for 15 s while a producer
// enqueues, a worker process drains and a scheduler process fires a 1-second schedule. Every
// acknowledged job must run and be recorded, and every process must work on afterwards: the
// worker fetching (a cnats 3.4.1 fetch overflow used to corrupt its heap here) and the
// scheduler firing (it used to stop for good after an outage this long).
// NAQ_FAULT_FULL=1 (scripts/fault.sh) adds 60 s outages and more rounds.
#include <catch2/catch.hpp>

#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "naq/queue.hpp"
#include "naq/schedule.hpp"
#include "naq/schedule_store.hpp"
#include "support/fault_kit.hpp"
#include "support/test_env.hpp"

using namespace naq;
using namespace std::chrono_literals;

namespace {

bool full_suite() {
    const char* full = std::getenv("NAQ_FAULT_FULL");
    return full != nullptr && std::string(full) == "1";
}

}  // namespace

TEST_CASE("fault: 15 s server outages lose no acknowledged job, and worker and scheduler work on", "[fault][outage]") {
    test::PrivateNatsServer server;
    Config c = test::config_for(server.url());
    test::RecordFile record;
    Queue q("outage", c);
    const std::string schedule_id = Queue(test::runs_queue(q.name()), c).schedule(Every{1s}, "record");

    test::NaqProcess worker(c, test::record_worker_args("outage"), record.path);
    test::NaqProcess scheduler(c, "scheduler");
    test::RecordingProducer producer(c, "outage", 2ms);

    struct Outage {
        int signal;
        std::chrono::seconds length;
    };
    std::vector<Outage> outages = {{SIGTERM, 15s}, {SIGKILL, 15s}};
    if (full_suite()) outages.insert(outages.end(), {{SIGTERM, 60s}, {SIGKILL, 60s}, {SIGKILL, 15s}});

    // Both processes at work before the first fault (one that starts while the server is away
    // exits 5 at once: it never connected).
    REQUIRE(test::eventually([&] { return record.schedule_runs_since(schedule_id, 0) >= 1; }, 30s));
    long worst_recovery_ms = 0;
    for (const auto& outage : outages) {
        // Under load before the fault: the worker runs jobs and the schedule fires.
        std::size_t before = record.executions().size();
        REQUIRE(test::eventually([&] { return record.executions().size() >= before + 100; }, 20s));
        if (outage.signal == SIGKILL) {
            server.kill();
        } else {
            server.stop();
        }
        std::this_thread::sleep_for(outage.length);  // the fault itself
        server.start();
        // Recovered: enqueues are acknowledged again, jobs run, and the schedule fires again.
        const std::size_t acked_at_restart = producer.acked();
        test::Recovery back = test::wait_recovery(
            record, schedule_id, 50, 30s,
            "outage of " + std::to_string(outage.length.count()) + " s (signal " + std::to_string(outage.signal) + ")");
        if (!back.scheduler_back) {
            for (const auto& s : ScheduleStore(c).list()) {
                std::printf(
                    "fault: schedule %s: next_run %lld ms from now, fired %lld, last fired %lld ms ago, "
                    "failures %d (%s), paused %d\n",
                    s.id.c_str(), static_cast<long long>(s.next_run_ms - now_ms()), static_cast<long long>(s.fired),
                    static_cast<long long>(now_ms() - s.last_fired_ms), s.failures, s.last_error.c_str(), s.paused);
            }
        }
        CHECK(test::eventually([&] { return producer.acked() >= acked_at_restart + 50; }, 30s));
        CHECK(back.worker_back);
        CHECK(back.scheduler_back);
        CHECK(worker.alive());
        CHECK(scheduler.alive());
        worst_recovery_ms = std::max(worst_recovery_ms, back.worker_ms);
    }

    CHECK(scheduler.stop() == 0);
    test::Tally t = test::finish_load(c, q, producer, record, worst_recovery_ms, "outages");
    // No run missed beyond the catch-up rule: every due time from the first run to the last was
    // fired, except in a stretch longer than the catch-up window (60 s: the scheduler was away
    // longer), which missed_runs "once" collapses into one run. A run fired twice carries the
    // same job id, which the jobs stream drops.
    test::ScheduleRuns runs = test::schedule_runs(record, schedule_id);
    std::printf("fault: outages: %s\n", runs.line().c_str());
    CHECK(runs.missed == 0);
    CHECK(t.unfinished == 0);
    CHECK(t.lost == 0);
    CHECK(t.acked > 0);
    CHECK(worker.alive());
    CHECK(worker.stop() == 0);
}

TEST_CASE("fault: with finite reconnect attempts, worker and scheduler exit 5 soon after the server is gone for good",
          "[fault][outage]") {
    test::PrivateNatsServer server;
    Config c = test::config_for(server.url());
    test::RecordFile record;
    Queue q("gone", c);
    q.schedule(Every{1s}, "record");
    const std::string finite = "--set nats.max_reconnect_attempts=3 --set nats.reconnect_wait=200ms ";
    test::NaqProcess worker(c, finite + test::record_worker_args("gone"), record.path);
    test::NaqProcess scheduler(c, finite + "scheduler");
    // Both at work: scheduled runs executed.
    REQUIRE(test::eventually([&] { return record.executions().size() >= 2; }, 20s));

    server.stop();
    auto gone = std::chrono::steady_clock::now();
    int worker_rc = worker.wait_exit(30s);
    auto worker_ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - gone);
    int scheduler_rc = scheduler.wait_exit(30s);
    auto scheduler_ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - gone);
    std::printf("fault: server gone for good: worker exit %d after %lld ms, scheduler exit %d after %lld ms\n",
                worker_rc, static_cast<long long>(worker_ms.count()), scheduler_rc,
                static_cast<long long>(scheduler_ms.count()));
    CHECK(worker_rc == 5);     // cannot reach NATS (docs/cli.md): a supervisor restarts it
    CHECK(scheduler_rc == 5);  // the same, where it used to stay up doing nothing
}
