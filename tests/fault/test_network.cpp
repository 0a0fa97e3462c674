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
    const std::string schedule_id = q.schedule(Every{1s}, "record");

    test::NaqProcess worker(behind, test::record_worker_args("net"), record.path);
    test::NaqProcess scheduler(behind, "scheduler");
    test::RecordingProducer producer(direct, "net", 2ms);

    auto scheduled_runs = [&] {
        int n = 0;
        for (const auto& [id, count] : record.executions()) n += id.rfind(schedule_id + "_", 0) == 0 ? 1 : 0;
        return n;
    };

    struct Fault {
        const char* name;
        void (test::TcpProxy::*apply)();
        std::chrono::seconds length;
    };
    long worst_recovery_ms = 0;
    for (const Fault& fault : {Fault{"cut", &test::TcpProxy::cut, 10s}, Fault{"stall", &test::TcpProxy::stall, 20s}}) {
        std::size_t before = record.executions().size();
        REQUIRE(test::eventually([&] { return record.executions().size() >= before + 100; }, 20s));
        (proxy.*fault.apply)();
        std::this_thread::sleep_for(fault.length);  // the fault itself
        int runs_at_restore = scheduled_runs();
        std::size_t at_restore = record.executions().size();
        proxy.restore();
        auto restored = std::chrono::steady_clock::now();
        bool worker_back = test::eventually([&] { return record.executions().size() >= at_restore + 100; }, 60s);
        long recovery_ms = static_cast<long>(
            std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - restored).count());
        bool scheduler_back = test::eventually([&] { return scheduled_runs() >= runs_at_restore + 3; }, 30s);
        std::printf("fault: network %s of %lld s: worker back=%d after %ld ms, scheduler back=%d\n", fault.name,
                    static_cast<long long>(fault.length.count()), worker_back, recovery_ms, scheduler_back);
        CHECK(worker_back);
        CHECK(scheduler_back);
        CHECK(worker.alive());
        CHECK(scheduler.alive());
        worst_recovery_ms = std::max(worst_recovery_ms, recovery_ms);
    }

    std::vector<std::string> ids = producer.stop();
    CHECK(scheduler.stop() == 0);
    CHECK(test::unfinished_after_drain(direct, q, 90s) == 0);
    test::Tally t = test::tally(direct, ids, record);
    t.recovery_ms = worst_recovery_ms;
    std::printf("fault: network: %s\n", t.line().c_str());
    CHECK(t.lost == 0);
    CHECK(t.acked > 0);
    CHECK(worker.stop() == 0);
}
