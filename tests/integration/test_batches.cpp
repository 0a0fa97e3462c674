// Batches with a completion callback against a real nats-server
// (docs/queue-control.md#batches): the callback runs once, after every job of the batch is final,
// with the counts; also when two workers finish the last two jobs at the same moment.
#include <catch2/catch.hpp>

#include <atomic>
#include <condition_variable>
#include <mutex>

#include "naq/events.hpp"
#include "naq/queue.hpp"
#include "naq/results.hpp"
#include "support/test_env.hpp"

using namespace naq;
using namespace std::chrono_literals;
using test::naq_cmd;

namespace {

// The "collect" callback task: remembers every call's args, and whether every job of
// `watched` had a final record when it ran.
struct Collector {
    std::mutex m;
    std::vector<Json> calls;
    std::vector<std::string> watched;
    bool all_final_when_called = true;

    void add_to(TaskRegistry& tasks, const Config& config) {
        tasks.add("collect", [this, config](JobContext&, const Json& args) -> Json {
            ResultStore results(config);
            bool all_final = true;
            std::lock_guard lock(m);
            for (const auto& id : watched) {
                auto s = results.try_status(id);
                all_final = all_final && s && is_final(s->state);
            }
            calls.push_back(args);
            all_final_when_called = all_final_when_called && all_final;
            return nullptr;
        });
    }
    std::size_t count() {
        std::lock_guard lock(m);
        return calls.size();
    }
    std::size_t count_of(const std::string& batch_id) {
        std::lock_guard lock(m);
        return static_cast<std::size_t>(std::count_if(calls.begin(), calls.end(), [&](const Json& a) {
            return a.contains("batch") && a["batch"].value("id", "") == batch_id;
        }));
    }
};

int count_events(const Config& c, const std::string& queue, const char* type) {
    return static_cast<int>(read_events(c, {.queue = queue, .type = type}).size());
}

}  // namespace

TEST_CASE("batches: the callback runs once, after every job is final, with the counts", "[batches]") {
    test::QueueWithWorker bq("bq", test::test_config());
    Collector collector;
    collector.add_to(bq.tasks, bq.config);
    bq.tasks.add("ok", [](JobContext&, const Json&) -> Json { return "ok"; });
    bq.tasks.add("boom", [](JobContext&, const Json&) -> Json { throw std::runtime_error("boom"); });
    std::vector<JobSpec> specs;
    for (int i = 0; i < 8; ++i) specs.push_back({"ok", {{"i", i}}, {}});
    specs.push_back({"boom", {}, {.max_attempts = 1}});
    specs.push_back({"no_such_task", {}, {}});

    BatchResult r =
        bq.queue.enqueue_many(specs, BatchOptions{.on_complete = BatchCallback{"collect", {{"report", "r1"}}}});
    REQUIRE(r.ok());
    collector.watched = r.ids;  // before the worker starts: the callback checks these
    REQUIRE_FALSE(r.batch_id.empty());
    BatchState before = batch_state(r.batch_id, bq.config);
    CHECK(before.sealed);
    CHECK(before.total == 10);
    CHECK(before.finished() == 0);
    CHECK_FALSE(before.fired);

    bq.start_worker({.concurrency = 4});
    REQUIRE(test::eventually([&] { return collector.count() == 1; }, 20s));
    Json args = collector.calls[0];
    CHECK(args["report"] == "r1");
    CHECK(args["batch"]["id"] == r.batch_id);
    CHECK(args["batch"]["total"] == 10);
    CHECK(args["batch"]["succeeded"] == 8);
    CHECK(args["batch"]["dead"] == 2);
    CHECK(args["batch"]["cancelled"] == 0);
    CHECK(args["batch"]["skipped"] == 0);
    CHECK(collector.all_final_when_called);

    BatchState after = batch_state(r.batch_id, bq.config);
    CHECK(after.complete());
    CHECK(after.finished() == 10);
    CHECK(after.completed_at_ms > 0);
    CHECK(bq.wait_final(after.callback_job_id()).state == JobState::succeeded);
    CHECK(test::eventually([&] { return after = batch_state(r.batch_id, bq.config), after.fired; }));
    REQUIRE(test::eventually([&] { return count_events(bq.config, "bq", "batch_completed") == 1; }));
    CHECK(read_events(bq.config, {.queue = "bq", .type = "batch_completed"})[0].job_id == after.callback_job_id());
    // The job records name their batch.
    CHECK(bq.results.status(r.ids[0]).batch.value().id == r.batch_id);

    // Nothing runs it again: a later job finishes and the callback still ran once.
    bq.wait_final(bq.enqueue("ok"));
    CHECK(collector.count() == 1);
}

TEST_CASE("batches: two workers finishing the last two jobs at the same moment run the callback once", "[batches]") {
    test::QueueWithWorker bq("btwo", test::test_config());
    Collector collector;
    collector.add_to(bq.tasks, bq.config);
    // Each job waits until both have started, so they finish together, one on each worker.
    std::mutex m;
    std::condition_variable cv;
    int started = 0;
    bq.tasks.add("pair", [&](JobContext&, const Json&) -> Json {
        std::unique_lock lock(m);
        ++started;
        cv.notify_all();
        cv.wait_for(lock, 10s, [&] { return started % 2 == 0; });
        return nullptr;
    });
    bq.start_worker({.concurrency = 1});
    bq.start_worker({.concurrency = 1});

    std::vector<std::string> batches;
    for (int round = 0; round < 6; ++round) {
        BatchResult r = bq.queue.enqueue_many({{"pair", {{"round", round}}, {}}, {"pair", {{"round", round}}, {}}},
                                              BatchOptions{.on_complete = BatchCallback{"collect"}});
        REQUIRE(r.ok());
        batches.push_back(r.batch_id);
        REQUIRE(test::eventually([&] { return collector.count_of(r.batch_id) == 1; }, 20s));
    }
    // A second firing would have had time to run by now: wait for a job enqueued after them all.
    bq.wait_final(bq.enqueue("collect"));
    for (const auto& id : batches) {
        INFO(id);
        CHECK(collector.count_of(id) == 1);
        CHECK(batch_state(id, bq.config).succeeded == 2);
    }
}

TEST_CASE("batches: jobs not enqueued count as skipped, and a batch of nothing but those completes at once",
          "[batches]") {
    test::QueueWithWorker bq("bskip", test::test_config());
    Collector collector;
    collector.add_to(bq.tasks, bq.config);
    bq.tasks.add_builtins(false);
    const EnqueueOptions unique{.unique_for = Millis(3'600'000)};
    std::string holder = bq.queue.enqueue("echo", {{"u", 1}}, unique);  // its key is held while it waits

    std::vector<JobSpec> specs = {
        {"echo", {{"n", 1}}, {}},
        {"echo", {{"u", 1}}, unique},  // turned away: the key is held
        {"", {}, {}},                  // refused: no task
        {"echo", {{"n", 2}}, {.job_id = "bskip-fixed"}},
        {"echo", {{"n", 3}}, {.job_id = "bskip-fixed"}},  // the same id twice in one batch: refused
    };
    BatchResult r = bq.queue.enqueue_many(specs, BatchOptions{.on_complete = BatchCallback{"collect"}});
    CHECK(r.failures.size() == 2);
    CHECK(r.ids[1] == holder);
    BatchState sealed = batch_state(r.batch_id, bq.config);
    CHECK(sealed.sealed);
    CHECK(sealed.skipped == 3);

    bq.start_worker();
    REQUIRE(test::eventually([&] { return collector.count_of(r.batch_id) == 1; }, 20s));
    // The holder is not the batch's job: it ran, but was not counted.
    BatchState done = batch_state(r.batch_id, bq.config);
    CHECK(done.succeeded == 2);
    CHECK(done.skipped == 3);

    // Nothing enqueued at all: sealing completes the batch, and its callback runs.
    BatchResult none = bq.queue.enqueue_many({{"", {}, {}}}, BatchOptions{.on_complete = BatchCallback{"collect"}});
    CHECK(none.failures.size() == 1);
    REQUIRE(test::eventually([&] { return collector.count_of(none.batch_id) == 1; }, 20s));
    CHECK(batch_state(none.batch_id, bq.config).skipped == 1);
}

TEST_CASE("batches: a bad callback is refused before any job is enqueued", "[batches]") {
    Config c = test::test_config();
    Queue q("bbad", c);
    const std::vector<JobSpec> one = {{"echo", {}, {}}};
    auto refused = [&](BatchCallback cb) {
        CHECK_THROWS_AS(q.enqueue_many(one, BatchOptions{.on_complete = std::move(cb)}), InvalidArgument);
    };
    refused(BatchCallback{"collect", Json::array()});  // args must be an object
    refused(BatchCallback{""});                        // no task
    refused(BatchCallback{"collect", Json::object(), "a b"});
    refused(BatchCallback{"collect", Json::object(), "", {.max_attempts = 0}});
    std::vector<JobSpec> too_many(kMaxBatchJobs + 1, JobSpec{"echo", Json::object(), {}});
    CHECK_THROWS_AS(q.enqueue_many(too_many, BatchOptions{.on_complete = BatchCallback{"collect"}}), InvalidArgument);
    CHECK(q.counts().stored == 0);
}

TEST_CASE("batches: naq batch shows how far a batch has got", "[batches][cli]") {
    test::QueueWithWorker bq("bcli", test::test_config());
    bq.tasks.add_builtins(false);
    BatchResult r = bq.queue.enqueue_many({{"echo", {}, {}}, {"echo", {{"x", 1}}, {}}},
                                          BatchOptions{.on_complete = BatchCallback{"echo", {{"done", true}}}});
    std::string out;
    REQUIRE(test::run_command(naq_cmd(bq.config, "batch " + r.batch_id), &out) == 0);
    CHECK_THAT(out, Catch::Contains("0 of 2"));
    CHECK_THAT(out, Catch::Contains("running"));

    bq.start_worker();
    CHECK(bq.wait_final(r.batch_id + "-on-complete").state == JobState::succeeded);
    REQUIRE(test::eventually([&] { return batch_state(r.batch_id, bq.config).fired; }));
    out.clear();  // run_command appends
    REQUIRE(test::run_command(naq_cmd(bq.config, "--json batch " + r.batch_id), &out) == 0);
    Json j = Json::parse(out);
    CHECK(j["finished"] == 2);
    CHECK(j["succeeded"] == 2);
    CHECK(j["fired"] == true);
    CHECK(j["callback_job"]["state"] == "succeeded");
    CHECK(test::run_command(naq_cmd(bq.config, "batch no-such-batch 2>&1"), &out) == 3);
    CHECK(test::run_command(naq_cmd(bq.config, "batch 'a b' 2>&1"), &out) == 2);
}
