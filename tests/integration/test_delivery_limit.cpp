// worker.max_deliveries: no job is delivered again and again. A job whose outcome cannot be
// recorded runs at most that many times, then is dead-lettered without running (reason
// max_deliveries), or terminated when even its dead letter is refused; the consumer's
// MaxDeliver is the server's backstop one delivery later.
#include <catch2/catch.hpp>

#include <atomic>

#include "naq/codec.hpp"
#include "naq/dead_letters.hpp"
#include "naq/jetstream.hpp"
#include "naq/metrics.hpp"
#include "naq/names.hpp"
#include "naq/queue.hpp"
#include "naq/results.hpp"
#include "support/test_env.hpp"

using namespace naq;
using namespace std::chrono_literals;

namespace {

Json consumer_config(const Config& c, const std::string& queue) {
    auto conn = connection(c);
    Json info = Json::parse(conn.request(
        "$JS.API.CONSUMER.INFO." + names::jobs_stream(c) + "." + names::worker_consumer(c, queue), "", 5s));
    REQUIRE(info.contains("config"));
    return info["config"];
}

Config with_max_deliveries(int n) {
    Config c = test::test_config();
    c.worker.max_deliveries = n;
    return c;
}

// A job whose every record the server refuses: its outcome can never be stored.
struct UnrecordableJob {
    explicit UnrecordableJob(test::QueueWithWorker& q) {
        q.tasks.add("count", [this](JobContext&, const Json&) -> Json {
            ++runs;
            return {{"runs", runs.load()}};
        });
        q.start_worker();
        REQUIRE(q.wait_result(q.enqueue("count"), 20s).ok);  // streams and buckets exist, the worker is bound
        runs = 0;
        test::set_stream_max_msg_size(q.config, "KV_" + names::job_status_bucket(q.config), 16);
        Job job = q.queue.make_job("count", Json::object(), {.job_id = "unrecordable"});
        jetstream(q.config).publish(names::queue_subject(q.config, q.queue.name()), codec::encode(job));
    }
    std::atomic<int> runs{0};
};

}  // namespace

TEST_CASE("delivery limit: a job whose record is always refused runs max_deliveries times, then is dead-lettered",
          "[delivery][hostile]") {
    test::QueueWithWorker dlq("dlimit", with_max_deliveries(3));
    UnrecordableJob job(dlq);
    CHECK(consumer_config(dlq.config, "dlimit")["max_deliver"] == 4);  // the server's backstop

    DeadLetters dead(dlq.config);
    REQUIRE(test::eventually([&] { return !dead.list("dlimit").empty(); }, 30s));
    DeadLetter d = dead.list("dlimit").at(0);
    CHECK(d.id == "unrecordable");
    CHECK(d.reason == "max_deliveries");
    CHECK_THAT(d.error, Catch::Contains("delivered 4 times, more than worker.max_deliveries (3)"));
    // It left its queue, and ran exactly max_deliveries times.
    CHECK(test::eventually([&] { return dlq.queue.counts().stored == 0; }, 10s));
    CHECK(job.runs == 3);
}

TEST_CASE("delivery limit: a job that cannot even be dead-lettered is terminated, counted, and never runs again",
          "[delivery][hostile]") {
    test::QueueWithWorker dlt("dlterm", with_max_deliveries(2));
    UnrecordableJob job(dlt);
    test::set_stream_max_msg_size(dlt.config, names::failed_stream(dlt.config), 16);  // dead letters refused too

    // Terminated: the server drops it from the work queue, nothing is left to deliver.
    REQUIRE(test::eventually(
        [&] {
            return metrics::registry().render().find("naq_jobs_terminated_total{queue=\"dlterm\"} 1") !=
                   std::string::npos;
        },
        30s));
    CHECK(test::eventually([&] { return dlt.queue.counts().stored == 0; }, 10s));
    CHECK(job.runs == 2);
    test::set_stream_max_msg_size(dlt.config, names::failed_stream(dlt.config), -1);
    CHECK(DeadLetters(dlt.config).list("dlterm").empty());
}

TEST_CASE("delivery limit: an existing consumer takes a changed limit", "[delivery]") {
    Config c = with_max_deliveries(5);
    {
        test::QueueWithWorker first("dlchange", c);
        first.start_worker();
        CHECK(consumer_config(c, "dlchange")["max_deliver"] == 6);
    }
    c.worker.max_deliveries = 9;  // same prefix: the same consumer
    test::QueueWithWorker second("dlchange", c);
    second.start_worker();
    CHECK(consumer_config(c, "dlchange")["max_deliver"] == 10);
}
