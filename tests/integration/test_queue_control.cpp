// Queue control against a real nats-server: pause and resume (Queue::pause / resume,
// `naq queue pause|resume`, the state in `naq queues`, `naq workers` and the events).
#include <catch2/catch.hpp>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "naq/events.hpp"
#include "naq/queue.hpp"
#include "naq/queue_stats.hpp"
#include "naq/workers.hpp"
#include "support/test_env.hpp"

using namespace naq;
using namespace std::chrono_literals;
using test::naq_cmd;

namespace {

// True once worker `id`'s status record lists `queue` among its paused queues (or, with
// `paused` false, no longer does): the worker has seen the change.
bool worker_sees(const Config& c, const std::string& id, const std::string& queue, bool paused) {
    return test::eventually([&] {
        auto s = WorkerStatusReader(c).get(id);
        if (!s) return false;
        bool listed = std::find(s->paused.begin(), s->paused.end(), queue) != s->paused.end();
        return listed == paused;
    });
}

// What the job records say of `ids`: how many have started (running or finished).
int started(const ResultStore& results, const std::vector<std::string>& ids) {
    int n = 0;
    for (const auto& id : ids) {
        auto s = results.try_status(id);
        if (s && s->state != JobState::queued) ++n;
    }
    return n;
}

int count_events(const Config& c, const std::string& queue, const char* type) {
    return static_cast<int>(read_events(c, {.queue = queue, .type = type}).size());
}

}  // namespace

TEST_CASE("queue control: a paused queue is not fetched, running jobs finish, resume runs what waited",
          "[queue_control]") {
    Config c = test::test_config();
    c.worker.heartbeat_interval = 1h;  // the pause must rewrite the status record at once
    c.worker.worker_ttl = 2h;
    c.worker.fetch_timeout = 5s;  // a pull request is still waiting at the server when the pause comes
    test::Gate gate;
    std::atomic<int> holding{0};
    test::QueueWithWorker pq("pq", c);
    pq.tasks.add_builtins(false);
    pq.tasks.add("hold", [&](JobContext&, const Json&) -> Json {
        ++holding;
        gate.wait();
        return "held";
    });
    Worker& w = pq.start_worker({.concurrency = 4});
    struct Release {
        test::Gate& gate;
        ~Release() { gate.release(); }
    } release{gate};

    std::string held = pq.enqueue("hold");
    REQUIRE(test::eventually([&] { return holding.load() == 1; }));

    CHECK(pq.queue.pause("maintenance"));
    CHECK_FALSE(pq.queue.pause("again"));  // already paused: no change, no second event
    QueueControl control = pq.queue.control();
    CHECK(control.paused);
    CHECK(control.reason == "maintenance");
    CHECK(control.changed_at_ms > 0);
    REQUIRE(worker_sees(c, w.id(), "pq", true));

    // Enqueueing still works while paused; nothing of it starts.
    std::vector<std::string> waiting;
    for (int i = 0; i < 5; ++i) waiting.push_back(pq.enqueue("echo", {{"i", i}}));
    gate.release();
    CHECK(pq.wait_final(held).state == JobState::succeeded);  // the running job finished
    std::this_thread::sleep_for(1500ms);                      // the documented bound is 1 s: nothing may start in it
    CHECK(started(pq.results, waiting) == 0);
    auto stats = queue_stats(c);
    REQUIRE(stats.size() == 1);
    CHECK(stats[0].control.paused);
    CHECK(stats[0].counts.pending + static_cast<uint64_t>(stats[0].counts.in_flight) == 5);

    CHECK(pq.queue.resume());
    CHECK_FALSE(pq.queue.resume());
    for (const auto& id : waiting) {
        JobStatus s = pq.wait_final(id);
        CHECK(s.state == JobState::succeeded);
        CHECK(s.attempt == 1);  // held back, not handed back: no delivery was spent
    }
    CHECK_FALSE(pq.queue.control().paused);
    REQUIRE(worker_sees(c, w.id(), "pq", false));
    CHECK(count_events(c, "pq", "queue_paused") == 1);
    CHECK(count_events(c, "pq", "queue_resumed") == 1);
    auto paused_events = read_events(c, {.queue = "pq", .type = "queue_paused"});
    REQUIRE(paused_events.size() == 1);
    CHECK(paused_events[0].data["reason"] == "maintenance");
}

TEST_CASE("queue control: a worker started on a paused queue never fetches it, its other queues run",
          "[queue_control]") {
    Config c = test::test_config();
    c.worker.heartbeat_interval = 100ms;
    test::QueueWithWorker pr("pr", c);
    pr.tasks.add_builtins(false);
    Queue other("pr_other", c);
    CHECK(pr.queue.pause());
    std::vector<std::string> waiting;
    for (int i = 0; i < 3; ++i) waiting.push_back(pr.enqueue("echo"));

    // A restart does not forget the pause: the first worker and its successor both hold off.
    for (int round = 0; round < 2; ++round) {
        Worker& w = pr.start_worker({.queues = {"pr", "pr_other"}, .concurrency = 2});
        w.wait_started();
        REQUIRE(worker_sees(c, w.id(), "pr", true));
        std::string ran = other.enqueue("echo");  // the worker's other queue is served meanwhile
        CHECK(pr.wait_final(ran).state == JobState::succeeded);
        pr.stop_workers();
    }
    CHECK(started(pr.results, waiting) == 0);

    pr.start_worker({.queues = {"pr", "pr_other"}, .concurrency = 2});
    pr.queue.resume();
    for (const auto& id : waiting) CHECK(pr.wait_final(id).state == JobState::succeeded);
}

TEST_CASE("queue control: naq queue pause / resume and the state in naq queues, naq workers", "[queue_control][cli]") {
    Config c = test::test_config();
    c.worker.heartbeat_interval = 100ms;
    test::QueueWithWorker cq("cq", c);
    cq.tasks.add_builtins(false);
    cq.start_worker();

    std::string out;
    REQUIRE(test::run_command(naq_cmd(c, "queue pause cq --reason 'disk full'"), &out) == 0);
    CHECK(out == "queue cq paused: its workers stop fetching it\n");
    out.clear();
    REQUIRE(test::run_command(naq_cmd(c, "--json queue pause cq"), &out) == 0);
    CHECK(Json::parse(out) == Json{{"queue", "cq"}, {"paused", true}, {"changed", false}});
    out.clear();
    REQUIRE(test::run_command(naq_cmd(c, "queues --json"), &out) == 0);
    auto rows = Json::parse(out);
    REQUIRE(rows.size() == 1);
    CHECK(rows[0]["paused"] == true);
    CHECK(rows[0]["paused_reason"] == "disk full");
    CHECK(rows[0]["paused_at"].get<int64_t>() > 0);
    out.clear();
    REQUIRE(test::run_command(naq_cmd(c, "queues"), &out) == 0);
    CHECK(out.find("paused") != std::string::npos);
    REQUIRE(test::eventually([&] {
        out.clear();
        return test::run_command(naq_cmd(c, "workers"), &out) == 0 && out.find("cq(paused)") != std::string::npos;
    }));

    // Bad input: a clear error and exit 2, nothing changed.
    CHECK(test::run_command(naq_cmd(c, "queue pause 'a.b' 2>/dev/null")) == 2);
    CHECK(test::run_command(naq_cmd(c, "queue pause '>' 2>/dev/null")) == 2);
    CHECK(test::run_command(naq_cmd(c, "queue pause cq --reason " + std::string(1025, 'x') + " 2>/dev/null")) == 2);
    CHECK(test::run_command(naq_cmd(c, "queue 2>/dev/null")) == 2);

    out.clear();
    REQUIRE(test::run_command(naq_cmd(c, "queue resume cq"), &out) == 0);
    CHECK(out == "queue cq resumed: its workers fetch it again\n");
    out.clear();
    REQUIRE(test::run_command(naq_cmd(c, "queue resume cq"), &out) == 0);
    CHECK(out == "queue cq was not paused\n");
    CHECK(cq.wait_final(cq.enqueue("echo")).state == JobState::succeeded);
}

TEST_CASE("queue control: pause and resume still reach the worker after nats-server restarts",
          "[queue_control][fault]") {
    test::PrivateNatsServer server;
    Config c = test::config_for(server.url());
    c.nats.reconnect_wait = 100ms;
    c.worker.heartbeat_interval = 100ms;
    test::QueueWithWorker rq("rq", c);
    rq.tasks.add_builtins(false);
    Worker& w = rq.start_worker();
    w.wait_started();
    CHECK(rq.queue.pause("before the restart"));
    REQUIRE(worker_sees(c, w.id(), "rq", true));

    server.stop();
    server.start();
    std::vector<std::string> waiting;
    REQUIRE(test::eventually(
        [&] {
            try {
                waiting.push_back(rq.enqueue("echo"));  // enqueueing works again once reconnected
                return true;
            } catch (const Error&) {
                return false;
            }
        },
        20s));
    for (int i = 0; i < 2; ++i) waiting.push_back(rq.enqueue("echo"));
    std::this_thread::sleep_for(1500ms);  // still paused after the restart: nothing may start
    CHECK(started(rq.results, waiting) == 0);
    CHECK(rq.queue.control().paused);

    // The resume is written after the restart: the worker's watch must have come back with it.
    CHECK(rq.queue.resume());
    for (const auto& id : waiting) CHECK(rq.wait_final(id, 20s).state == JobState::succeeded);
}
