// Network faults between naq and nats-server, through a TCP proxy: a cut that both ends notice
// (10 s) and a stall that drops everything silently while connections stay open (20 s). The
// worker and the scheduler connect through the proxy, the producer directly. No acknowledged job
// may be lost, and both processes must work on once the network is back.
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdio>

#include "naq/queue.hpp"
#include "naq/schedule.hpp"
#include "support/fault_kit.hpp"
#include "support/tcp_proxy.hpp"
#include "support/test_env.hpp"

using namespace naq;
using namespace std::chrono_literals;

TEST_CASE("fault: a 10 s network cut and a 20 s stall lose no job, and worker and scheduler work on",
          "[fault][network]") {
    test::PrivateNatsServer server;
    test::TcpProxy proxy(server.port());
    Config direct = test::config_for(server.url());
    Config behind = direct;
    behind.nats.servers = {proxy.url()};
    test::RecordFile record;
    Queue q("net", direct);
    const std::string schedule_id = Queue(test::runs_queue(q.name()), direct).schedule(Every{1s}, "record");

    test::NaqProcess worker(behind, test::record_worker_args("net"), record.path);
    test::NaqProcess scheduler(behind, "scheduler");
    test::RecordingProducer producer(direct, "net", 2ms);

    struct Fault {
        const char* name;
        void (test::TcpProxy::*apply)();
        std::chrono::seconds length;
    };
    // Both processes at work before the first fault (one that starts while the server is away
    // exits 5 at once: it never connected).
    REQUIRE(test::eventually([&] { return record.schedule_runs_since(schedule_id, 0) >= 1; }, 30s));
    long worst_recovery_ms = 0;
    for (const Fault& fault : {Fault{"cut", &test::TcpProxy::cut, 10s}, Fault{"stall", &test::TcpProxy::stall, 20s}}) {
        std::size_t before = record.executions().size();
        REQUIRE(test::eventually([&] { return record.executions().size() >= before + 100; }, 20s));
        (proxy.*fault.apply)();
        std::this_thread::sleep_for(fault.length);  // the fault itself
        proxy.restore();
        test::Recovery back = test::wait_recovery(
            record, schedule_id, 100, 60s,
            "network " + std::string(fault.name) + " of " + std::to_string(fault.length.count()) + " s");
        CHECK(back.worker_back);
        CHECK(back.scheduler_back);
        CHECK(worker.alive());
        CHECK(scheduler.alive());
        worst_recovery_ms = std::max(worst_recovery_ms, back.worker_ms);
    }

    CHECK(scheduler.stop() == 0);
    test::Tally t = test::finish_load(direct, q, producer, record, worst_recovery_ms, "network");
    CHECK(t.unfinished == 0);
    CHECK(t.lost == 0);
    CHECK(t.acked > 0);
    CHECK(worker.stop() == 0);
}
