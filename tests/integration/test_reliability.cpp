// Worker reliability against a real nats-server: cancellation, timeouts, leases, graceful
// shutdown, dependencies, idempotent enqueue and dead-letter handling.
#include <catch2/catch.hpp>

#include <atomic>

#include "naq/dead_letters.hpp"
#include "naq/errors.hpp"
#include "naq/queue.hpp"
#include "naq/results.hpp"
#include "support/test_env.hpp"

using namespace naq;
using namespace std::chrono_literals;

namespace {

// A task that counts its runs and sleeps cooperatively for args.ms.
void add_counted_sleep(TaskRegistry& tasks, std::atomic<int>& runs) {
    tasks.add("nap", [&runs](JobContext& ctx, const Json& args) -> Json {
        ++runs;
        ctx.sleep_for(std::chrono::milliseconds(args.value("ms", 0)));
        return {{"slept", args.value("ms", 0)}, {"attempt", ctx.attempt()}};
    });
}

bool state_is(const ResultStore& results, const std::string& id, JobState state) {
    auto s = results.try_status(id);
    return s && s->state == state;
}

}  // namespace

TEST_CASE("reliability: a cancelled queued job never runs", "[reliability]") {
    Config c = test::test_config();
    Queue q("cancelq", c);
    std::string id = q.enqueue("nap", {{"ms", 0}});
    CancelResult r = cancel_job(id, c);
    CHECK(r.requested);
    CHECK(r.state_before == JobState::queued);
    std::atomic<int> runs{0};
    TaskRegistry tasks;
    add_counted_sleep(tasks, runs);
    test::RunningWorker w(c, tasks, {.queues = {"cancelq"}});
    std::string after = q.enqueue("nap", {{"ms", 0}});
    ResultStore results(c);
    CHECK(results.wait_final(after, 10s).state == JobState::succeeded);  // the worker is past the cancelled one
    CHECK(results.status(id).state == JobState::cancelled);
    CHECK(runs == 1);  // only `after` ran
    CHECK(test::eventually([&] { return q.counts().stored == 0; }));  // and the cancelled job left the queue
    CHECK_THROWS_AS(cancel_job("no-such-job", c), NotFound);
}

TEST_CASE("reliability: cancelling a running job stops it at once", "[reliability]") {
    Config c = test::test_config();
    Queue q("cancelrun", c);
    std::atomic<int> runs{0};
    TaskRegistry tasks;
    add_counted_sleep(tasks, runs);
    test::RunningWorker w(c, tasks, {.queues = {"cancelrun"}});
    std::string id = q.enqueue("nap", {{"ms", 30'000}}, {.max_attempts = 3});
    ResultStore results(c);
    REQUIRE(test::eventually([&] { return state_is(results, id, JobState::running); }));
    auto start = std::chrono::steady_clock::now();
    CHECK(cancel_job(id, c).state_before == JobState::running);
    JobStatus s = results.wait_final(id, 10s);
    CHECK(s.state == JobState::cancelled);
    CHECK(std::chrono::steady_clock::now() - start < 5s);
    CHECK(runs == 1);  // cancelled is final: not retried
    CHECK(cancel_job(id, c).requested == false);  // already finished: nothing to do
}

TEST_CASE("reliability: an exec task past its timeout is killed", "[reliability]") {
    Config c = test::test_config();
    Queue q("execq", c);
    TaskRegistry tasks;
    tasks.add_builtins(true);
    test::RunningWorker w(c, tasks, {.queues = {"execq"}});
    auto start = std::chrono::steady_clock::now();
    std::string id = q.enqueue("exec", {{"cmd", {"sleep", "30"}}, {"grace_ms", 200}}, {.timeout = 300ms});
    JobStatus s = ResultStore(c).wait_final(id, 15s);
    CHECK(s.state == JobState::dead);
    CHECK(s.error.find("timed out after 300 ms") != std::string::npos);
    CHECK(std::chrono::steady_clock::now() - start < 5s);
    std::string ok = q.enqueue("exec", {{"shell", "echo hello"}});
    CHECK(ResultStore(c).wait(ok, 10s).result["output"] == "hello\n");
}

TEST_CASE("reliability: a job running far longer than the ack wait is not redelivered", "[reliability]") {
    Config c = test::test_config();
    c.worker.ack_wait = 600ms;  // leases are extended every 200 ms
    Queue q("lease", c);
    std::atomic<int> runs{0};
    TaskRegistry tasks;
    add_counted_sleep(tasks, runs);
    test::RunningWorker w1(c, tasks, {.queues = {"lease"}, .concurrency = 2});
    test::RunningWorker w2(c, tasks, {.queues = {"lease"}, .concurrency = 2});
    std::string id = q.enqueue("nap", {{"ms", 3000}});
    JobResult r = ResultStore(c).wait(id, 15s);
    CHECK(r.ok);
    CHECK(r.attempt == 1);
    CHECK(runs == 1);
    CHECK(q.counts().redelivered == 0);
}

TEST_CASE("reliability: graceful stop lets a running job finish", "[reliability]") {
    Config c = test::test_config();
    Queue q("graceful", c);
    std::atomic<int> runs{0};
    TaskRegistry tasks;
    add_counted_sleep(tasks, runs);
    std::string id;
    {
        test::RunningWorker w(c, tasks, {.queues = {"graceful"}});
        id = q.enqueue("nap", {{"ms", 500}});
        REQUIRE(test::eventually([&] { return runs == 1; }));
    }  // stop() + join while the job runs
    JobStatus s = ResultStore(c).status(id);
    CHECK(s.state == JobState::succeeded);
    CHECK(q.counts().stored == 0);
}

TEST_CASE("reliability: a job unfinished at the end of the grace period is handed back", "[reliability]") {
    Config c = test::test_config();
    c.worker.shutdown_grace = 200ms;
    Queue q("handback", c);
    std::atomic<int> runs{0};
    TaskRegistry tasks;
    add_counted_sleep(tasks, runs);
    std::string id;
    {
        test::RunningWorker w(c, tasks, {.queues = {"handback"}});
        id = q.enqueue("nap", {{"ms", 2000}});
        REQUIRE(test::eventually([&] { return runs == 1; }));
    }
    CHECK(q.counts().stored == 1);  // back on the queue, not lost
    test::RunningWorker next(c, tasks, {.queues = {"handback"}});
    JobResult r = ResultStore(c).wait(id, 15s);
    CHECK(r.ok);
    CHECK(r.attempt == 2);
    CHECK(runs == 2);
}

TEST_CASE("reliability: a dependent job runs only after its dependency succeeded", "[reliability][deps]") {
    Config c = test::test_config();
    Queue q("deps", c);
    std::atomic<int> runs{0};
    TaskRegistry tasks;
    add_counted_sleep(tasks, runs);
    test::RunningWorker w(c, tasks, {.queues = {"deps"}, .concurrency = 4});
    std::string a = q.enqueue("nap", {{"ms", 400}});
    std::string b = q.enqueue("nap", {{"ms", 0}}, {.depends_on = {a}});
    std::string c2 = q.enqueue("nap", {{"ms", 0}}, {.depends_on = {a, b}});
    ResultStore results(c);
    JobStatus sc = results.wait_final(c2, 15s);
    JobStatus sb = results.status(b);
    JobStatus sa = results.status(a);
    CHECK(sa.state == JobState::succeeded);
    CHECK(sb.state == JobState::succeeded);
    CHECK(sc.state == JobState::succeeded);
    CHECK(sb.started_at_ms >= sa.finished_at_ms);
    CHECK(sc.started_at_ms >= sb.finished_at_ms);
    CHECK(runs == 3);
}

TEST_CASE("reliability: a failed dependency fails its dependents transitively", "[reliability][deps]") {
    Config c = test::test_config();
    Queue q("depfail", c);
    TaskRegistry tasks;
    tasks.add_builtins(false);
    std::atomic<int> runs{0};
    add_counted_sleep(tasks, runs);
    test::RunningWorker w(c, tasks, {.queues = {"depfail"}, .concurrency = 4});
    std::string a = q.enqueue("fail", {{"message", "root cause"}}, {.max_attempts = 1});
    std::string b = q.enqueue("nap", {}, {.depends_on = {a}});
    std::string c2 = q.enqueue("nap", {}, {.depends_on = {b}});
    std::string unknown = q.enqueue("nap", {}, {.depends_on = {"never-enqueued"}});
    ResultStore results(c);
    CHECK(results.wait_final(c2, 15s).state == JobState::dependency_failed);
    JobStatus sb = results.status(b);
    CHECK(sb.state == JobState::dependency_failed);
    CHECK(sb.error.find(a) != std::string::npos);
    CHECK(results.wait_final(unknown, 15s).state == JobState::dependency_failed);
    CHECK(runs == 0);
    auto dead = DeadLetters(c).list("depfail");
    CHECK(dead.size() == 4);  // a (failed) + b, c2, unknown (dependency_failed)
}

TEST_CASE("reliability: dead letters can be listed, shown, requeued with history, and purged", "[reliability][dead]") {
    Config c = test::test_config();
    Queue q("dlq", c);
    TaskRegistry tasks;
    tasks.add_builtins(false);
    std::atomic<int> calls{0};
    tasks.add("first_call_fails", [&calls](JobContext&, const Json&) -> Json {
        if (calls++ == 0) throw JobFailed("transient outage");
        return {{"ok", true}};
    });
    std::string id;
    {
        test::RunningWorker w(c, tasks, {.queues = {"dlq"}});
        id = q.enqueue("first_call_fails", {}, {.max_attempts = 1});
        REQUIRE(ResultStore(c).wait_final(id, 10s).state == JobState::dead);
    }
    DeadLetters dead(c);
    auto letters = dead.list();
    REQUIRE(letters.size() == 1);
    CHECK(letters[0].id == id);
    CHECK(letters[0].reason == "failed");
    CHECK(dead.get(id).record["errors"].size() == 1);
    CHECK(dead.get(id).error == "transient outage");
    CHECK(dead.list("other").empty());
    CHECK_THROWS_AS(dead.get("nope"), NotFound);

    dead.requeue(id);
    CHECK(dead.list().empty());
    CHECK(ResultStore(c).status(id).state == JobState::queued);
    test::RunningWorker w(c, tasks, {.queues = {"dlq"}});
    JobResult r = ResultStore(c).wait(id, 10s);
    CHECK(r.ok);
    CHECK(r.attempt == 1);  // attempts start again

    std::string again = q.enqueue("fail", {}, {.max_attempts = 1});
    REQUIRE(ResultStore(c).wait_final(again, 10s).state == JobState::dead);
    CHECK(dead.purge("dlq") == 1);
    CHECK(dead.list().empty());
}

TEST_CASE("reliability: the same job id within the dedup window is enqueued once", "[reliability]") {
    Config c = test::test_config();
    Queue q("idem", c);
    EnqueueResult first = q.submit(q.make_job("echo", {{"n", 1}}, {.job_id = "order-42"}));
    EnqueueResult second = q.submit(q.make_job("echo", {{"n", 2}}, {.job_id = "order-42"}));
    CHECK_FALSE(first.duplicate);
    CHECK(second.duplicate);
    CHECK(q.counts().stored == 1);
}
