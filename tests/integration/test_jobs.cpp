// Jobs end to end against a real nats-server: enqueue, worker, results, status, dead letters.
#include <catch2/catch.hpp>

#include <atomic>
#include <mutex>
#include <set>

#include "naq/codec.hpp"
#include "naq/errors.hpp"
#include "naq/jetstream.hpp"
#include "naq/names.hpp"
#include "naq/queue.hpp"
#include "naq/results.hpp"
#include "support/test_env.hpp"

using namespace naq;
using namespace std::chrono_literals;

namespace {

// Dead letters of a deployment, oldest first.
std::vector<Json> dead_letters(const Config& c) {
    auto js = jetstream(c);
    std::vector<Json> out;
    auto state = js.stream_state(names::failed_stream(c));
    for (uint64_t seq = state.first_sequence; seq <= state.last_sequence && state.messages > 0; ++seq) {
        try {
            out.push_back(Json::parse(js.get_message(names::failed_stream(c), seq)));
        } catch (const NotFound&) {}
    }
    return out;
}

}  // namespace

TEST_CASE("jobs: enqueue, a worker runs it, result and status are visible", "[jobs]") {
    test::QueueWithWorker math("math");
    math.tasks.add("add", [](JobContext& ctx, const Json& args) -> Json {
        return {{"sum", args["a"].get<int>() + args["b"].get<int>()}, {"attempt", ctx.attempt()}};
    });
    Worker& w = math.start_worker({.concurrency = 2});
    std::string id = math.enqueue("add", {{"a", 2}, {"b", 3}});
    JobResult r = math.wait_result(id);
    CHECK(r.ok);
    CHECK(r.result["sum"] == 5);
    CHECK(r.result["attempt"] == 1);
    CHECK(r.worker == w.id());
    JobStatus s = math.wait_final(id);
    CHECK(s.state == JobState::succeeded);
    CHECK(s.queue == "math");
    CHECK(s.task == "add");
    CHECK(s.attempt == 1);
    CHECK(s.started_at_ms >= s.enqueued_at_ms);
    CHECK(s.finished_at_ms >= s.started_at_ms);
    CHECK(test::eventually([&] { return math.queue.counts().stored == 0; }));  // acked: gone from the stream
}

TEST_CASE("jobs: jobs enqueued before any worker exists run when one starts", "[jobs]") {
    test::QueueWithWorker early("early");
    std::vector<JobSpec> batch;
    for (int i = 0; i < 50; ++i) batch.push_back({"echo", {{"i", i}}});
    BatchResult br = early.queue.enqueue_many(batch);
    REQUIRE(br.ok());
    CHECK(early.queue.counts().pending == 50);
    CHECK(early.queue.counts().has_consumer == false);
    early.tasks.add_builtins(false);
    early.start_worker({.concurrency = 4});
    for (std::size_t i = 0; i < br.ids.size(); ++i) {
        JobResult r = early.wait_result(br.ids[i]);
        CHECK(r.result["i"] == static_cast<int>(i));
    }
}

TEST_CASE("jobs: two workers on one queue run every job exactly once", "[jobs]") {
    std::mutex mutex;
    std::multiset<int> seen;
    test::QueueWithWorker shared("shared");
    shared.tasks.add("record", [&](JobContext&, const Json& args) -> Json {
        std::lock_guard lock(mutex);
        seen.insert(args["n"].get<int>());
        return nullptr;
    });
    Worker& w1 = shared.start_worker({.concurrency = 4, .name = "w1"});
    Worker& w2 = shared.start_worker({.concurrency = 4, .name = "w2"});
    std::vector<JobSpec> batch;
    const int n = 400;
    for (int i = 0; i < n; ++i) batch.push_back({"record", {{"n", i}}});
    REQUIRE(shared.queue.enqueue_many(batch).ok());
    REQUIRE(test::eventually(
        [&] {
            std::lock_guard lock(mutex);
            return seen.size() >= static_cast<std::size_t>(n);
        },
        30s));
    // A success counts once its record is confirmed and the job acked, a moment after the handler.
    CHECK(test::eventually([&] { return w1.stats().succeeded + w2.stats().succeeded == static_cast<uint64_t>(n); }));
    std::lock_guard lock(mutex);
    CHECK(seen.size() == static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) CHECK(seen.count(i) == 1);
    CHECK(w1.stats().succeeded > 0);
    CHECK(w2.stats().succeeded > 0);
}

TEST_CASE("jobs: malformed job JSON is dead-lettered and the worker keeps running", "[jobs]") {
    test::QueueWithWorker bad("bad");
    const Config& c = bad.config;
    auto js = jetstream(c);
    js.publish(names::queue_subject(c, "bad"), "{not json");
    js.publish(names::queue_subject(c, "bad"), R"({"v":1,"id":"x1","task":42})");
    bad.tasks.add_builtins(false);
    bad.start_worker({.concurrency = 2});
    REQUIRE(test::eventually([&] { return dead_letters(c).size() == 2; }));
    auto dl = dead_letters(c);  // handled concurrently: either order
    if (dl[0]["raw"] != "{not json") std::swap(dl[0], dl[1]);
    CHECK(dl[0]["reason"] == "undecodable");
    CHECK(dl[0]["raw"] == "{not json");
    CHECK(dl[0]["error"].get<std::string>().find("not valid JSON") != std::string::npos);
    CHECK(dl[1]["reason"] == "undecodable");
    CHECK(dl[1]["error"].get<std::string>().find("'task'") != std::string::npos);
    // Still alive: a good job after the bad ones runs.
    std::string id = bad.enqueue("echo", {{"ok", true}});
    CHECK(bad.wait_result(id).ok);
    CHECK(test::eventually([&] { return bad.queue.counts().stored == 0; }));
}

TEST_CASE(
    "jobs: hostile envelopes (deep nesting, huge or wildcard ids, bad queues) are dead-lettered once, good jobs run",
    "[jobs][hostile]") {
    test::QueueWithWorker hostile("hostile");
    const Config& c = hostile.config;
    auto js = jetstream(c);
    const std::string subject = names::queue_subject(c, "hostile");
    const std::string deep(100'000, '[');
    std::vector<std::string> bad = {
        // 100,000 nested arrays: a stack overflow in every worker that touched it, before.
        R"({"v":1,"id":"deep-1","task":"echo","args":)" + deep + std::string(100'000, ']') + "}",
        // an id over the limit (a 4 kB id broke the worker's connection for good, before)
        R"({"v":1,"id":")" + std::string(4096, 'a') + R"(","task":"echo"})",
        R"({"v":1,"id":"a b","task":"echo"})",
        R"({"v":1,"id":"*","task":"echo"})",
        R"({"v":1,"id":">","task":"echo"})",
        R"({"v":1,"id":"","task":"echo"})",
        R"({"v":1,"id":"q1","task":"echo","queue":"x.>"})",
        R"({"v":1,"id":"d1","task":"echo","options":{"depends_on":["a.*.>"]}})",
    };
    for (const auto& b : bad) js.publish(subject, b);
    std::vector<std::string> good;
    for (int i = 0; i < 50; ++i) good.push_back(hostile.enqueue("echo", {{"i", i}}));
    hostile.tasks.add_builtins(false);
    Worker& w = hostile.start_worker({.concurrency = 4});
    for (const auto& id : good) CHECK(hostile.wait_result(id, 20s).ok);
    REQUIRE(test::eventually([&] { return dead_letters(c).size() == bad.size(); }, 20s));
    for (const auto& d : dead_letters(c)) CHECK(d["reason"] == "undecodable");
    // each delivered, dead-lettered, acked
    CHECK(test::eventually([&] { return hostile.queue.counts().stored == 0; }));
    CHECK(w.stats().dead == bad.size());
}

TEST_CASE("jobs: an unknown task fails with a clear error and the job is kept as a dead letter", "[jobs]") {
    test::QueueWithWorker unknown("unknown");
    unknown.tasks.add_builtins(false);
    unknown.start_worker();
    std::string id = unknown.enqueue("no_such_task", {{"x", 1}}, {.max_attempts = 3});
    JobStatus s = unknown.wait_final(id);
    CHECK(s.state == JobState::dead);
    CHECK(s.error.find("unknown task 'no_such_task'") != std::string::npos);
    CHECK(s.attempt == 1);  // retrying cannot help, so it is not retried
    auto dl = dead_letters(unknown.config);
    REQUIRE(dl.size() == 1);
    CHECK(dl[0]["id"] == id);
    CHECK(dl[0]["job"]["args"]["x"] == 1);  // the original envelope is kept
    CHECK(dl[0]["reason"] == "unknown_task");
    std::string ok = unknown.enqueue("echo");
    CHECK(unknown.wait_result(ok).ok);
}

TEST_CASE("jobs: a handler exception fails the attempt, retries then dead letter keep every error", "[jobs]") {
    test::QueueWithWorker flaky("flaky");
    flaky.tasks.add_builtins(false);
    flaky.start_worker();
    Backoff quick{BackoffKind::fixed, 50ms, 50ms, false};
    std::string recovers = flaky.enqueue("fail", {{"times", 2}}, {.max_attempts = 3, .backoff = quick});
    std::string dies = flaky.enqueue("fail", {{"message", "boom"}}, {.max_attempts = 2, .backoff = quick});
    JobStatus ok = flaky.wait_final(recovers);
    CHECK(ok.state == JobState::succeeded);
    CHECK(ok.attempt == 3);
    CHECK(flaky.results.get(recovers).result["succeeded_on_attempt"] == 3);
    JobStatus dead = flaky.wait_final(dies);
    CHECK(dead.state == JobState::dead);
    REQUIRE(dead.errors.size() == 2);
    CHECK(dead.errors[0].attempt == 1);
    CHECK(dead.errors[1].error == "boom");
    JobResult r = flaky.results.get(dies);
    CHECK_FALSE(r.ok);
    CHECK(r.error == "boom");
}

TEST_CASE("jobs: enqueue_many reports every id, a repeated job id is a duplicate", "[jobs]") {
    Config c = test::test_config();
    Queue q("batch", c);
    std::vector<JobSpec> batch;
    for (int i = 0; i < 1000; ++i) batch.push_back({"echo", {{"i", i}}});
    batch.push_back({"echo", {}, {.job_id = "fixed-id"}});
    BatchResult r = q.enqueue_many(batch, 256);
    CHECK(r.ok());
    CHECK(r.ids.size() == 1001);
    CHECK(r.ids.back() == "fixed-id");
    CHECK(q.counts().pending == 1001);
    EnqueueResult again = q.submit(q.make_job("echo", {}, {.job_id = "fixed-id"}));
    CHECK(again.duplicate);
    CHECK(q.counts().pending == 1001);
    CHECK(q.purge() == 1001);
    CHECK(q.counts().pending == 0);
}

TEST_CASE("jobs: bad queue names and job ids are rejected before anything is sent", "[jobs]") {
    Config c = test::test_config();
    CHECK_THROWS_AS(Queue("has.dot", c), InvalidArgument);
    CHECK_THROWS_AS(Queue("", c), InvalidArgument);
    Queue q("names", c);
    CHECK_THROWS_AS(q.enqueue("echo", {}, {.job_id = "bad id"}), InvalidArgument);
    CHECK_THROWS_AS(q.enqueue("", {}), InvalidArgument);
    CHECK(q.counts().stored == 0);
}

TEST_CASE("jobs: a job that outlives its timeout fails as timed out", "[jobs]") {
    test::QueueWithWorker slow("slow");
    slow.tasks.add_builtins(false);
    slow.start_worker();
    auto start = std::chrono::steady_clock::now();
    std::string id = slow.enqueue("sleep", {{"ms", 60'000}}, {.max_attempts = 1, .timeout = 200ms});
    JobStatus s = slow.wait_final(id, 30s);
    CHECK(s.state == JobState::dead);
    CHECK(s.error.find("timed out after 200 ms") != std::string::npos);
    // The sleep was cut short: a loose bound, 100 times the 200 ms timeout and a third of the sleep.
    CHECK(std::chrono::steady_clock::now() - start < 20s);
}

TEST_CASE("jobs: a full queue refuses the job with the server's JetStream error code", "[jobs]") {
    Config c = test::test_config();
    c.jetstream.max_jobs = 1;
    Queue q("full", c);
    q.enqueue("echo");
    try {
        q.enqueue("echo");
        FAIL("the second job was accepted by a stream limited to one message");
    } catch (const ApiError& e) {
        CHECK(e.js_code() == 10077);  // JSStreamStoreFailedF: maximum messages exceeded
        CHECK_THAT(e.what(), Catch::Contains("maximum messages exceeded"));
        CHECK_THAT(e.what(), Catch::Contains("[JetStream error 10077]"));
    }
}

TEST_CASE("jobs: one worker serves every one of several queues, repeatedly", "[jobs]") {
    // Each queue has its own fetcher sharing one budget of handler slots: none may starve.
    Config c = test::test_config();
    TaskRegistry tasks;
    tasks.add_builtins(false);
    const std::vector<std::string> names = {"mq_a", "mq_b", "mq_c", "mq_d"};
    test::RunningWorker w(c, tasks, {.queues = names, .concurrency = 2});
    ResultStore results(c);
    for (int round = 0; round < 3; ++round) {
        std::vector<std::string> ids;
        for (const auto& name : names) ids.push_back(Queue(name, c).enqueue("echo", {{"queue", name}}));
        for (std::size_t i = 0; i < ids.size(); ++i) {
            INFO("round " << round << ", queue " << names[i]);
            JobResult r = results.wait(ids[i], 5s);
            CHECK(r.ok);
            CHECK(r.result["queue"] == names[i]);
        }
    }
}
