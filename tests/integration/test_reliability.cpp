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

// Starts a worker, enqueues a nap of `ms` and stops the worker gracefully while the nap runs:
// a shutdown with a job in flight. Returns the job's id.
std::string stop_worker_during_nap(test::QueueWithWorker& queue, const std::atomic<int>& runs, int ms) {
    queue.start_worker();
    std::string id = queue.enqueue("nap", {{"ms", ms}});
    REQUIRE(test::eventually([&] { return runs == 1; }));
    queue.stop_workers();  // stop() + join while the job runs
    return id;
}

}  // namespace

TEST_CASE("reliability: a cancelled queued job never runs", "[reliability]") {
    std::atomic<int> runs{0};
    test::QueueWithWorker cancelq("cancelq");
    std::string id = cancelq.enqueue("nap", {{"ms", 0}});
    CancelResult r = cancel_job(id, cancelq.config);
    CHECK(r.requested);
    CHECK(r.state_before == JobState::queued);
    add_counted_sleep(cancelq.tasks, runs);
    cancelq.start_worker();
    std::string after = cancelq.enqueue("nap", {{"ms", 0}});
    CHECK(cancelq.wait_final(after).state == JobState::succeeded);  // the worker is past the cancelled one
    CHECK(cancelq.results.status(id).state == JobState::cancelled);
    CHECK(runs == 1);  // only `after` ran
    // and the cancelled job left the queue
    CHECK(test::eventually([&] { return cancelq.queue.counts().stored == 0; }));
    CHECK_THROWS_AS(cancel_job("no-such-job", cancelq.config), NotFound);
}

TEST_CASE("reliability: cancelling a running job stops it at once", "[reliability]") {
    std::atomic<int> runs{0};
    test::QueueWithWorker cancelrun("cancelrun");
    add_counted_sleep(cancelrun.tasks, runs);
    cancelrun.start_worker();
    std::string id = cancelrun.enqueue("nap", {{"ms", 120'000}}, {.max_attempts = 3});
    REQUIRE(test::eventually([&] { return state_is(cancelrun.results, id, JobState::running); }));
    auto start = std::chrono::steady_clock::now();
    CHECK(cancel_job(id, cancelrun.config).state_before == JobState::running);
    JobStatus s = cancelrun.wait_final(id, 60s);
    CHECK(s.state == JobState::cancelled);
    // Stopped at once, not at the end of its nap: a loose bound, a sixth of the 120 s nap.
    CHECK(std::chrono::steady_clock::now() - start < 20s);
    CHECK(runs == 1);                                            // cancelled is final: not retried
    CHECK(cancel_job(id, cancelrun.config).requested == false);  // already finished: nothing to do
}

TEST_CASE("reliability: an exec task past its timeout is killed", "[reliability]") {
    test::QueueWithWorker execq("execq");
    execq.tasks.add_builtins(true);
    execq.start_worker();
    auto start = std::chrono::steady_clock::now();
    std::string id = execq.enqueue("exec", {{"cmd", {"sleep", "120"}}, {"grace_ms", 200}}, {.timeout = 300ms});
    JobStatus s = execq.wait_final(id, 60s);
    CHECK(s.state == JobState::dead);
    CHECK(s.error.find("timed out after 300 ms") != std::string::npos);
    // Killed, not waited for: a loose bound, 40 times the 300 ms timeout + 200 ms grace, a sixth of the sleep.
    CHECK(std::chrono::steady_clock::now() - start < 20s);
    std::string ok = execq.enqueue("exec", {{"shell", "echo hello"}});
    CHECK(execq.wait_result(ok).result["output"] == "hello\n");
}

TEST_CASE("reliability: exec arguments that are ambiguous or would be cut fail with a clear error", "[reliability]") {
    test::QueueWithWorker execbad("execbad");
    execbad.tasks.add_builtins(true);
    execbad.start_worker();
    const std::vector<std::pair<Json, std::string>> cases = {
        // cmd won and shell was silently ignored before
        {{{"cmd", {"echo", "one"}}, {"shell", "echo two"}}, "exec: give cmd or shell, not both"},
        // the NUL cut the argument to "a" before
        {{{"cmd", {"echo", std::string("a\0b", 3)}}}, "exec: cmd[1] holds a NUL byte"},
        {{{"shell", std::string("true\0; rm -rf x", 16)}}, "exec: shell holds a NUL byte"},
        {{{"cmd", Json::array()}}, "exec: cmd must be a non-empty array of strings"},
        {{{"cmd", {"true"}}, {"grace_ms", -1}}, "exec: grace_ms must be an integer from 0 to 3600000"},
        {Json::array({"true"}), "exec: give {\"cmd\""},
    };
    for (const auto& [args, error] : cases) {
        JobStatus s = execbad.wait_final(execbad.enqueue("exec", args), 20s);
        CHECK(s.state == JobState::dead);
        CHECK_THAT(s.error, Catch::Contains(error));
    }
}

TEST_CASE("reliability: a job running far longer than the ack wait is not redelivered", "[reliability]") {
    Config c = test::test_config();
    c.worker.ack_wait = 600ms;  // leases are extended every 200 ms
    std::atomic<int> runs{0};
    test::QueueWithWorker lease("lease", c);
    add_counted_sleep(lease.tasks, runs);
    lease.start_worker({.concurrency = 2});
    lease.start_worker({.concurrency = 2});
    std::string id = lease.enqueue("nap", {{"ms", 3000}});
    JobResult r = lease.wait_result(id, 15s);
    CHECK(r.ok);
    CHECK(r.attempt == 1);
    CHECK(runs == 1);
    CHECK(lease.queue.counts().redelivered == 0);
}

TEST_CASE("reliability: graceful stop lets a running job finish", "[reliability]") {
    std::atomic<int> runs{0};
    test::QueueWithWorker graceful("graceful");
    add_counted_sleep(graceful.tasks, runs);
    std::string id = stop_worker_during_nap(graceful, runs, 500);
    JobStatus s = graceful.results.status(id);
    CHECK(s.state == JobState::succeeded);
    CHECK(graceful.queue.counts().stored == 0);
}

TEST_CASE("reliability: a job unfinished at the end of the grace period is handed back", "[reliability]") {
    Config c = test::test_config();
    c.worker.shutdown_grace = 200ms;
    std::atomic<int> runs{0};
    test::QueueWithWorker handback("handback", c);
    add_counted_sleep(handback.tasks, runs);
    std::string id = stop_worker_during_nap(handback, runs, 2000);
    CHECK(handback.queue.counts().stored == 1);  // back on the queue, not lost
    handback.start_worker();
    JobResult r = handback.wait_result(id, 15s);
    CHECK(r.ok);
    CHECK(r.attempt == 2);
    CHECK(runs == 2);
}

TEST_CASE("reliability: a dependent job runs only after its dependency succeeded", "[reliability][deps]") {
    std::atomic<int> runs{0};
    test::QueueWithWorker deps("deps");
    add_counted_sleep(deps.tasks, runs);
    deps.start_worker({.concurrency = 4});
    std::string a = deps.enqueue("nap", {{"ms", 400}});
    std::string b = deps.enqueue("nap", {{"ms", 0}}, {.depends_on = {a}});
    std::string c = deps.enqueue("nap", {{"ms", 0}}, {.depends_on = {a, b}});
    JobStatus sc = deps.wait_final(c, 15s);
    JobStatus sb = deps.results.status(b);
    JobStatus sa = deps.results.status(a);
    CHECK(sa.state == JobState::succeeded);
    CHECK(sb.state == JobState::succeeded);
    CHECK(sc.state == JobState::succeeded);
    CHECK(sb.started_at_ms >= sa.finished_at_ms);
    CHECK(sc.started_at_ms >= sb.finished_at_ms);
    CHECK(runs == 3);
}

TEST_CASE("reliability: a failed dependency fails its dependents transitively", "[reliability][deps]") {
    std::atomic<int> runs{0};
    test::QueueWithWorker depfail("depfail");
    depfail.tasks.add_builtins(false);
    add_counted_sleep(depfail.tasks, runs);
    depfail.start_worker({.concurrency = 4});
    std::string a = depfail.enqueue("fail", {{"message", "root cause"}}, {.max_attempts = 1});
    std::string b = depfail.enqueue("nap", {}, {.depends_on = {a}});
    std::string c = depfail.enqueue("nap", {}, {.depends_on = {b}});
    std::string unknown = depfail.enqueue("nap", {}, {.depends_on = {"never-enqueued"}});
    CHECK(depfail.wait_final(c, 15s).state == JobState::dependency_failed);
    JobStatus sb = depfail.results.status(b);
    CHECK(sb.state == JobState::dependency_failed);
    CHECK(sb.error.find(a) != std::string::npos);
    CHECK(depfail.wait_final(unknown, 15s).state == JobState::dependency_failed);
    CHECK(runs == 0);
    auto dead = DeadLetters(depfail.config).list("depfail");
    CHECK(dead.size() == 4);  // a (failed) + b, c, unknown (dependency_failed)
}

TEST_CASE("reliability: dead letters can be listed, shown, requeued with history, and purged", "[reliability][dead]") {
    std::atomic<int> calls{0};
    test::QueueWithWorker dlq("dlq");
    dlq.tasks.add_builtins(false);
    dlq.tasks.add("first_call_fails", [&calls](JobContext&, const Json&) -> Json {
        if (calls++ == 0) throw JobFailed("transient outage");
        return {{"ok", true}};
    });
    dlq.start_worker();
    std::string id = dlq.enqueue("first_call_fails", {}, {.max_attempts = 1});
    REQUIRE(dlq.wait_final(id).state == JobState::dead);
    dlq.stop_workers();
    DeadLetters dead(dlq.config);
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
    CHECK(dlq.results.status(id).state == JobState::queued);
    dlq.start_worker();
    JobResult r = dlq.wait_result(id);
    CHECK(r.ok);
    CHECK(r.attempt == 1);  // attempts start again

    std::string again = dlq.enqueue("fail", {}, {.max_attempts = 1});
    REQUIRE(dlq.wait_final(again).state == JobState::dead);
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
