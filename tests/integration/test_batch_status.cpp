// enqueue_many's shared `queued` records: one per batch instead of one per job, and every way
// of reading a job's status (status, cancel, dependencies, erase) still sees each job.
#include <catch2/catch.hpp>

#include <atomic>

#include "naq/errors.hpp"
#include "naq/jetstream.hpp"
#include "naq/names.hpp"
#include "naq/queue.hpp"
#include "naq/results.hpp"
#include "support/test_env.hpp"

using namespace naq;
using namespace std::chrono_literals;

namespace {

uint64_t status_messages(const Config& c) {
    return jetstream(c).stream_state("KV_" + names::job_status_bucket(c)).messages;
}

std::vector<JobSpec> counted(int n, const std::string& task) {
    std::vector<JobSpec> out;
    for (int i = 0; i < n; ++i) out.push_back({task, {{"n", i}}});
    return out;
}

}  // namespace

TEST_CASE("batch status: enqueue_many stores one queued record per 512 jobs, each job reads as queued",
          "[jobs][batch]") {
    test::QueueWithWorker bulk("bulk");
    const Config& c = bulk.config;
    auto specs = counted(600, "echo");
    specs[10].options.job_id = "named-job";  // an id of its own: a record of its own
    specs[11].options.max_attempts = 7;      // same batch, another run
    specs[599].task = "other";
    BatchResult r = bulk.queue.enqueue_many(specs);
    REQUIRE(r.ok());
    CHECK(status_messages(c) == 3);  // two batches + the named job

    const ResultStore& results = bulk.results;
    for (std::size_t i : {std::size_t{0}, std::size_t{11}, std::size_t{511}, std::size_t{512}, std::size_t{599}}) {
        JobStatus s = results.status(r.ids[i]);
        CHECK(s.id == r.ids[i]);
        CHECK(s.state == JobState::queued);
        CHECK(s.queue == "bulk");
        CHECK(s.task == (i == 599 ? "other" : "echo"));
        CHECK(s.max_attempts == (i == 11 ? 7 : c.queue.max_attempts));
        CHECK(s.enqueued_at_ms > 0);
    }
    CHECK(results.status("named-job").state == JobState::queued);

    // Once a worker ran them, each job's own record answers.
    bulk.tasks.add_builtins(false);
    bulk.tasks.add("other", [](JobContext&, const Json&) -> Json { return "done"; });
    bulk.start_worker({.concurrency = 8});
    CHECK(bulk.wait_final(r.ids[599], 20s).state == JobState::succeeded);
    CHECK(bulk.wait_final(r.ids[0], 20s).state == JobState::succeeded);
    CHECK(bulk.wait_result(r.ids[5], 20s).result["n"] == 5);
}

TEST_CASE("batch status: a batch job can be cancelled before it runs, waited on, and erased", "[jobs][batch]") {
    std::atomic<int> runs{0};
    test::QueueWithWorker bulkcancel("bulkcancel");
    BatchResult r = bulkcancel.queue.enqueue_many(counted(3, "count"));
    REQUIRE(r.ok());
    // A job enqueued later that depends on a batch job waits for it (not "unknown dependency").
    std::string dependent = bulkcancel.enqueue("count", {{"n", 100}}, {.depends_on = {r.ids[2]}});

    CancelResult cancelled = cancel_job(r.ids[1], bulkcancel.config);
    CHECK(cancelled.requested);
    CHECK(cancelled.state_before == JobState::queued);
    const ResultStore& results = bulkcancel.results;
    CHECK(results.status(r.ids[1]).state == JobState::cancelled);

    bulkcancel.tasks.add("count", [&](JobContext&, const Json& args) -> Json {
        ++runs;
        return args["n"];
    });
    bulkcancel.start_worker({.concurrency = 1});
    CHECK(bulkcancel.wait_final(dependent, 20s).state == JobState::succeeded);
    CHECK(results.status(r.ids[2]).state == JobState::succeeded);
    CHECK(results.status(r.ids[1]).state == JobState::cancelled);
    CHECK(runs == 3);  // ids[0], ids[2] and the dependent; never the cancelled one

    // Erasing a batch job's records leaves it without a status, though its batch record lives on.
    results.erase(r.ids[0]);
    CHECK_FALSE(results.try_status(r.ids[0]).has_value());
    CHECK_THROWS_AS(results.status(r.ids[0]), NotFound);
}
