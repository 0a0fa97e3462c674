// One record per job, confirmed before the job is acknowledged: the record carries the result
// and every attempt's error; a job whose record the server refuses is not acknowledged.
#include <catch2/catch.hpp>

#include <atomic>
#include <thread>

#include "naq/codec.hpp"
#include "naq/jetstream.hpp"
#include "naq/names.hpp"
#include "naq/queue.hpp"
#include "naq/results.hpp"
#include "support/test_env.hpp"

using namespace naq;
using namespace std::chrono_literals;

TEST_CASE("job record: a succeeded job's one record holds its result and every earlier error", "[record]") {
    test::QueueWithWorker recq("recq");
    recq.tasks.add("flaky", [](JobContext& ctx, const Json& args) -> Json {
        if (ctx.attempt() == 1) throw std::runtime_error("first attempt fails");
        return {{"echo", args}, {"attempt", ctx.attempt()}};
    });
    recq.start_worker();
    Backoff quick{BackoffKind::fixed, 10ms, 10ms, false};
    std::string id = recq.enqueue("flaky", {{"x", 1}}, {.max_attempts = 3, .backoff = quick});
    JobResult r = recq.wait_result(id, 20s);
    CHECK(r.ok);
    CHECK(r.attempt == 2);
    CHECK(r.result["echo"] == Json{{"x", 1}});
    JobStatus record = recq.results.status(id);
    CHECK(record.state == JobState::succeeded);
    CHECK(record.result["attempt"] == 2);
    REQUIRE(record.errors.size() == 1);  // the first attempt's error survives the success
    CHECK(record.errors[0].attempt == 1);
    CHECK(record.errors[0].error == "first attempt fails");
    // Nothing else is written for it: no separate results bucket.
    auto js = jetstream(recq.config);
    CHECK_THROWS_AS(js.stream_state("KV_" + names::results_bucket(recq.config)), NotFound);
}

TEST_CASE("job record: a job published without enqueued_at is dated by the stream, not 1970", "[record]") {
    Config c = test::test_config();
    TaskRegistry tasks;
    tasks.add("noop", [](JobContext&, const Json&) -> Json { return nullptr; });
    Queue q("foreign", c);  // creates the streams
    const int64_t before = now_ms();
    // What a producer in another language may send: the required fields only.
    Json envelope = {{"id", "foreign-1"}, {"task", "noop"}, {"args", Json::object()}};
    jetstream(c).publish(names::queue_subject(c, "foreign"), envelope.dump());
    const int64_t after = now_ms();
    test::RunningWorker w(c, tasks, {.queues = {"foreign"}});
    JobStatus record = ResultStore(c).wait_final("foreign-1", 20s);
    CHECK(record.state == JobState::succeeded);
    CHECK(record.enqueued_at_ms >= before - 1000);  // the server's clock, which is this machine's
    CHECK(record.enqueued_at_ms <= after + 1000);
}

TEST_CASE("job record: a foreign producer's args come back from echo in its key order, unparsed by a no-op",
          "[record][args]") {
    test::QueueWithWorker order("argorder");
    order.tasks.add_builtins(false);
    std::atomic<int> parsed_in_noop{0};
    order.tasks.add("noop", [&parsed_in_noop](JobContext&, const JobArgs& args) -> Json {
        if (args.parsed()) ++parsed_in_noop;
        return nullptr;
    });
    order.start_worker();
    // Sent as a JavaScript producer writes it: keys not sorted, spaces kept.
    const std::string args = R"({"x":1,"n":null,"f":1.5,"nested":{"b":2,"a":1}})";
    auto js = jetstream(order.config);
    const std::string subject = names::queue_subject(order.config, "argorder");
    js.publish(subject, R"({"id":"order-echo","task":"echo","args":)" + args + "}");
    js.publish(subject, R"({"id":"order-noop","task":"noop","args":)" + args + "}");
    JobResult echoed = order.wait_result("order-echo", 20s);
    REQUIRE(echoed.ok);
    CHECK(echoed.result.dump() == args);
    REQUIRE(order.wait_result("order-noop", 20s).ok);
    CHECK(parsed_in_noop == 0);
}

TEST_CASE("job record: a job whose record the server refuses is not acknowledged, and runs until it is stored",
          "[record]") {
    std::atomic<int> runs{0};
    test::QueueWithWorker refused("refused");
    const Config& c = refused.config;
    refused.tasks.add("count", [&runs](JobContext&, const Json&) -> Json {
        ++runs;
        return {{"runs", runs.load()}};
    });
    refused.start_worker();
    REQUIRE(refused.wait_result(refused.enqueue("count"), 20s).ok);  // buckets exist, the worker is bound
    REQUIRE(runs == 1);

    // The job-record bucket now refuses every write (as a full or leaderless stream would).
    const std::string records = "KV_" + names::job_status_bucket(c);
    test::set_stream_max_msg_size(c, records, 16);
    Job job = refused.queue.make_job("count", Json::object(), {.job_id = "refused-1"});
    jetstream(c).publish(names::queue_subject(c, "refused"), codec::encode(job));  // a foreign producer: no record

    // The handler runs, its record is refused, the job is handed back and runs again: it was
    // never acknowledged, so it is still in the queue.
    REQUIRE(test::eventually([&] { return runs >= 3; }, 20s));
    CHECK(refused.queue.counts().stored == 1);
    CHECK_FALSE(refused.results.try_status("refused-1"));

    // Once the record can be stored, the job ends acknowledged with its record.
    test::set_stream_max_msg_size(c, records, -1);
    JobResult r = refused.wait_result("refused-1", 20s);
    CHECK(r.ok);
    CHECK(test::eventually([&] { return refused.queue.counts().stored == 0; }, 10s));
}

TEST_CASE("job record: while the server stores no records the worker pauses fetching, not re-running job after job",
          "[record]") {
    std::atomic<int> runs{0};
    test::QueueWithWorker paused("paused");
    const Config& c = paused.config;
    paused.tasks.add("count", [&runs](JobContext&, const Json&) -> Json {
        ++runs;
        return nullptr;
    });
    paused.start_worker();
    REQUIRE(paused.wait_result(paused.enqueue("count"), 20s).ok);
    runs = 0;

    test::set_stream_max_msg_size(c, "KV_" + names::job_status_bucket(c), 16);  // every record refused
    for (int i = 0; i < 50; ++i) {
        Job job = paused.queue.make_job("count", Json::object(), {.job_id = "paused-" + std::to_string(i)});
        jetstream(c).publish(names::queue_subject(c, "paused"), codec::encode(job));
    }
    // Each run is handed back with a 1 s delay, so a worker fetching on would run all 50 about
    // every second (300 runs in 6 s). Paused (1 s, then one probing job at a time, each refused
    // probe doubling the pause), it runs what it had fetched and two or three more.
    REQUIRE(test::eventually([&] { return runs >= 1; }, 10s));
    std::this_thread::sleep_for(6s);
    INFO("runs in 6 s: " << runs.load());
    CHECK(runs < 50);

    test::set_stream_max_msg_size(c, "KV_" + names::job_status_bucket(c), -1);
    CHECK(test::eventually([&] { return paused.queue.counts().stored == 0; }, 40s));  // all done once stored
}

TEST_CASE("job record: a job too big for the server leaves nothing behind, a duplicate does not reset a record",
          "[record][hostile]") {
    test::QueueWithWorker recsize("recsize");
    const std::string big(connection(recsize.config).max_payload(), 'x');
    CHECK_THROWS_WITH(recsize.enqueue("echo", {{"blob", big}}, {.job_id = "too-big"}), Catch::Contains("max_payload"));
    CHECK_FALSE(recsize.results.try_status("too-big"));  // no phantom "queued" record
    auto batch =
        recsize.queue.enqueue_many({JobSpec{"echo", {{"blob", big}}, {.job_id = "too-big-2"}}, JobSpec{"echo"}});
    REQUIRE(batch.failures.size() == 1);
    CHECK(batch.failures[0].index == 0);
    CHECK_FALSE(recsize.results.try_status("too-big-2"));

    recsize.tasks.add_builtins(false);
    recsize.start_worker();
    REQUIRE(recsize.wait_result(recsize.enqueue("echo", {{"n", 1}}, {.job_id = "once"}), 20s).ok);
    EnqueueResult again = recsize.queue.submit(recsize.queue.make_job("echo", {{"n", 2}}, {.job_id = "once"}));
    CHECK(again.duplicate);
    CHECK(recsize.results.status("once").state == JobState::succeeded);  // it was "queued" forever before
    CHECK(recsize.results.get("once").result == Json{{"n", 1}});
}

TEST_CASE("job record: a result or error too big to store is replaced by what says so, and the job runs once",
          "[record][hostile]") {
    std::atomic<int> runs{0};
    test::QueueWithWorker huge("huge");
    const std::size_t max_payload = static_cast<std::size_t>(connection(huge.config).max_payload());
    huge.tasks.add("huge_result", [&runs, max_payload](JobContext&, const Json&) -> Json {
        ++runs;
        return {{"blob", std::string(max_payload, 'r')}};
    });
    huge.tasks.add("huge_error", [&runs, max_payload](JobContext&, const Json&) -> Json {
        ++runs;
        throw std::runtime_error(std::string(2 * max_payload, 'e'));
    });
    huge.start_worker();
    JobResult r = huge.wait_result(huge.enqueue("huge_result"), 20s);
    CHECK(r.ok);  // it ran and succeeded: that much is recorded
    CHECK(r.result.contains("naq_result_dropped"));
    JobStatus dead = huge.wait_final(huge.enqueue("huge_error"), 20s);
    CHECK(dead.state == JobState::dead);
    CHECK(dead.error.size() < 5000);
    CHECK(dead.error.find("bytes, cut") != std::string::npos);
    CHECK(test::eventually([&] { return huge.queue.counts().stored == 0; }));
    CHECK(runs == 2);  // before: the first re-ran on every redelivery, its record always refused
}
