// A 3-node JetStream cluster with `jetstream.replicas: 3`: the node leading the jobs stream, then
// the node leading the job-record bucket, is SIGKILLed under enqueue + drain load and restarted.
// No acknowledged job may be lost or lose its record; the worker works on. A cluster that lost
// quorum must say so (exit 5, "no leader"), not "not found" or a bare timeout.
#include <catch2/catch.hpp>

#include <signal.h>

#include <chrono>
#include <cstdio>

#include "naq/names.hpp"
#include "naq/queue.hpp"
#include "support/fault_kit.hpp"
#include "support/nats_cluster.hpp"
#include "support/test_env.hpp"

using namespace naq;
using namespace std::chrono_literals;

namespace {

std::string kv_stream(const std::string& bucket) { return "KV_" + bucket; }

}  // namespace

TEST_CASE("fault: cluster: killing the jobs-stream leader, then the job-record leader, loses no job or record",
          "[fault][cluster]") {
    test::NatsCluster cluster(3);
    Config c = cluster.config();
    test::RecordFile record;
    Queue q("cluster", c);

    test::NaqProcess worker(c, test::record_worker_args("cluster"), record.path);
    test::RecordingProducer producer(c, "cluster", 2ms);

    const std::vector<std::string> victims_of = {names::jobs_stream(c), kv_stream(names::job_status_bucket(c))};
    long worst_recovery_ms = 0;
    for (const auto& stream : victims_of) {
        std::size_t before = record.executions().size();
        REQUIRE(test::eventually([&] { return record.executions().size() >= before + 200; }, 30s));
        int leader = cluster.leader_of(c, stream);
        REQUIRE(leader >= 0);
        cluster.node(leader).kill();
        auto killed = std::chrono::steady_clock::now();
        // The survivors elect a new leader and the work goes on without the dead node.
        std::size_t at_kill = record.executions().size();
        bool back = test::eventually([&] { return record.executions().size() >= at_kill + 200; }, 30s);
        long recovery_ms = static_cast<long>(
            std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - killed).count());
        std::printf(
            "fault: cluster: killed n%d (leader of %s): work went on=%d, 200 more jobs in %ld ms; "
            "repeated runs so far %zu\n",
            leader + 1, stream.c_str(), back, recovery_ms, record.repeats());
        CHECK(back);
        worst_recovery_ms = std::max(worst_recovery_ms, recovery_ms);
        cluster.node(leader).start();
        cluster.wait_healthy();
    }

    test::Tally t = test::finish_load(c, q, producer, record, worst_recovery_ms, "cluster leader kills");
    CHECK(t.unfinished == 0);
    CHECK(t.lost == 0);
    CHECK(t.acked > 0);
    CHECK(worker.alive());
    CHECK(worker.stop() == 0);
}

TEST_CASE("fault: cluster without quorum: enqueue says no leader with exit 5, and works once quorum is back",
          "[fault][cluster]") {
    test::NatsCluster cluster(3);
    Config c = cluster.config();
    c.nats.request_timeout = 2s;
    Queue q("quorum", c);
    q.enqueue("echo");

    cluster.node(1).kill();
    cluster.node(2).kill();
    Config one = c;
    one.nats.servers = {cluster.node(0).url()};
    std::string out;
    auto started = std::chrono::steady_clock::now();
    int rc = test::run_command(test::naq_cmd(one, "--set nats.request_timeout=2s enqueue echo 2>&1"), &out);
    auto took = std::chrono::steady_clock::now() - started;
    std::printf("fault: no quorum: exit %d after %lld ms: %s", rc,
                static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(took).count()),
                out.c_str());
    CHECK(rc == 5);
    CHECK(out.find("leader") != std::string::npos);
    CHECK(out.find("quorum") != std::string::npos);

    cluster.node(1).start();
    cluster.wait_healthy();
    // Quorum is back: the same command succeeds (the stream lookup is retried while a leader is elected).
    out.clear();
    rc = test::run_command(test::naq_cmd(one, "enqueue echo 2>&1"), &out);
    CHECK(rc == 0);
    INFO(out);
}
