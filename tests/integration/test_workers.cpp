// Worker status records against a real nats-server: heartbeats, state, counters, batch updates,
// `naq workers`, and a SIGKILLed worker vanishing after the TTL.
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <mutex>

#include "naq/queue.hpp"
#include "naq/results.hpp"
#include "naq/worker_status.hpp"
#include "naq/workers.hpp"
#include "support/test_env.hpp"
#include "worker/status/worker_status_writer.hpp"

using namespace naq;
using namespace std::chrono_literals;
using test::naq_cmd;

namespace {

std::optional<WorkerStatus> find(const std::vector<WorkerStatus>& all, const std::string& id) {
    for (const auto& w : all) {
        if (w.id == id) return w;
    }
    return std::nullopt;
}

}  // namespace

TEST_CASE("workers: a running worker's record shows its state, jobs in flight and counters", "[workers]") {
    Config c = test::test_config();
    c.worker.heartbeat_interval = 100ms;
    test::Gate gate;
    test::QueueWithWorker wq1("wq1", c);
    wq1.tasks.add_builtins(false);
    wq1.tasks.add("hold", [&gate](JobContext&, const Json&) -> Json {
        gate.wait();
        return nullptr;
    });
    WorkerStatusReader store(c);
    std::string id;
    {
        id = wq1.start_worker({.concurrency = 3}).id();
        struct Release {
            test::Gate& gate;
            ~Release() { gate.release(); }  // before the worker stops, whatever happens
        } release{gate};
        std::optional<WorkerStatus> s;
        REQUIRE(test::eventually([&] {
            s = find(store.list(), id);
            return s && s->state == WorkerState::idle;
        }));
        CHECK(s->queues == std::vector<std::string>{"wq1"});
        CHECK(s->concurrency == 3);
        CHECK(s->pid == ::getpid());
        CHECK(!s->host.empty());
        CHECK(s->version == "0.1.0");
        CHECK(s->heartbeat_interval_ms == 100);
        CHECK(s->in_flight.empty());

        std::string held = wq1.enqueue("hold");
        REQUIRE(test::eventually([&] {
            s = store.get(id);
            return s && s->state == WorkerState::busy;
        }));
        CHECK(s->in_flight == std::vector<std::string>{held});
        gate.release();
        wq1.enqueue("echo");
        wq1.enqueue("fail");
        REQUIRE(test::eventually([&] {
            s = store.get(id);
            return s && s->succeeded == 2 && s->dead == 1 && s->state == WorkerState::idle;
        }));
        CHECK(s->failed == 1);
        CHECK(s->in_flight.empty());
        REQUIRE(test::eventually([&] {
            s = store.get(id);
            return s && s->recent_finished["wq1"] == 3;
        }));
        CHECK(s->recent_window_ms > 0);
        CHECK(s->heartbeat_at_ms >= s->started_at_ms);
    }
    wq1.stop_workers();
    // A graceful stop removes the record at once.
    CHECK_FALSE(store.get(id));
    CHECK_FALSE(find(store.list(), id));
}

TEST_CASE("workers: a change of state is written at once, not at the next heartbeat", "[workers]") {
    Config c = test::test_config();
    c.worker.heartbeat_interval = std::chrono::hours(1);
    c.worker.worker_ttl = std::chrono::hours(2);
    test::Gate gate;
    test::QueueWithWorker wstate("wstate", c);
    wstate.tasks.add("hold", [&gate](JobContext&, const Json&) -> Json {
        gate.wait();
        return nullptr;
    });
    WorkerStatusReader store(c);
    Worker& w = wstate.start_worker({.concurrency = 2});
    struct Release {
        test::Gate& gate;
        ~Release() { gate.release(); }
    } release{gate};
    std::optional<WorkerStatus> s;
    REQUIRE(test::eventually([&] {
        s = store.get(w.id());
        return s && s->state == WorkerState::idle;
    }));
    wstate.enqueue("hold");
    REQUIRE(test::eventually([&] {
        s = store.get(w.id());
        return s && s->state == WorkerState::busy && s->in_flight.size() == 1;
    }));
    gate.release();
    REQUIRE(test::eventually([&] {
        s = store.get(w.id());
        return s && s->state == WorkerState::idle && s->succeeded == 1;
    }));
}

TEST_CASE("workers: batch_update writes many records at once and remove deletes one", "[workers]") {
    Config c = test::test_config();
    WorkerStatusReader store(c);
    WorkerStatusWriter writer(c);
    CHECK(store.list().empty());
    std::vector<WorkerStatus> batch;
    for (int i = 0; i < 5; ++i) {
        WorkerStatus s;
        s.id = "proc-7-w" + std::to_string(i);
        s.state = i % 2 == 0 ? WorkerState::idle : WorkerState::busy;
        s.queues = {"q"};
        s.succeeded = static_cast<uint64_t>(i);
        s.heartbeat_at_ms = now_ms();
        batch.push_back(s);
    }
    writer.batch_update(batch);
    auto all = store.list();
    REQUIRE(all.size() == 5);
    CHECK(all[3].id == "proc-7-w3");
    CHECK(all[3].state == WorkerState::busy);
    CHECK(all[3].succeeded == 3);
    batch[3].state = WorkerState::stopping;
    writer.batch_update({batch[3]});
    CHECK(store.get("proc-7-w3")->state == WorkerState::stopping);
    writer.remove("proc-7-w3");
    writer.remove("proc-7-w3");  // already gone: no error
    CHECK(store.list().size() == 4);
    CHECK_FALSE(store.get("proc-7-w3"));
}

TEST_CASE("workers: naq workers --json lists a live worker", "[workers][cli]") {
    test::QueueWithWorker wcli("wcli");
    const Config& c = wcli.config;
    wcli.tasks.add_builtins(false);
    Worker& w = wcli.start_worker({.concurrency = 2});
    std::string out;
    REQUIRE(test::eventually([&] {
        out.clear();
        return test::run_command(naq_cmd(c, "workers --json"), &out) == 0 && out.find(w.id()) != std::string::npos;
    }));
    auto list = Json::parse(out);
    REQUIRE(list.size() == 1);
    CHECK(list[0]["id"] == w.id());
    CHECK(list[0]["queues"] == Json::array({"wcli"}));
    CHECK(list[0]["concurrency"] == 2);
    out.clear();
    REQUIRE(test::run_command(naq_cmd(c, "workers"), &out) == 0);
    CHECK(out.find("WORKER") != std::string::npos);
    CHECK(out.find(w.id()) != std::string::npos);
}

TEST_CASE("workers: a worker killed with SIGKILL vanishes from naq workers after the TTL", "[workers][cli]") {
    Config c = test::test_config();
    c.worker.worker_ttl = 4s;
    c.worker.heartbeat_interval = 500ms;
    const std::string ttl = " --set worker.worker_ttl=4s --set worker.heartbeat_interval=500ms ";
    test::ChildProcess worker(naq_cmd(c, ttl + "worker wkill -n killme"));
    auto listed = [&] {
        std::string out;
        if (test::run_command(naq_cmd(c, ttl + "workers --json"), &out) != 0) return -1;
        return static_cast<int>(Json::parse(out).size());
    };
    REQUIRE(test::eventually([&] { return listed() == 1; }, 20s));
    auto before = WorkerStatusReader(c).list();
    REQUIRE(before.size() == 1);
    CHECK(before[0].id.rfind("killme-", 0) == 0);

    auto killed_at = std::chrono::steady_clock::now();
    CHECK(worker.stop(SIGKILL) == -SIGKILL);
    // No graceful removal: the record outlives its worker until the TTL runs out...
    CHECK(WorkerStatusReader(c).list().size() == 1);
    // ...and then it is gone (waiting up to 10 times the TTL).
    REQUIRE(test::eventually([&] { return listed() == 0; }, 40s));
    auto gone_after = std::chrono::steady_clock::now() - killed_at;
    // Not before the TTL: a lower bound, the 4 s TTL less the last heartbeat's age (500 ms when
    // on time), with 1.5 s more for a heartbeat written late on a busy machine.
    CHECK(gone_after >= 2s);
}
