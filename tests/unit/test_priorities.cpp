// Priorities: the job's priority on the wire (envelope, job record, schedule options), the
// subjects and consumers of each level, and the order in which a worker runs fetched jobs.
#include <catch2/catch.hpp>

#include <map>
#include <string>

#include "core/options_codec.hpp"
#include "naq/codec.hpp"
#include "naq/errors.hpp"
#include "naq/names.hpp"
#include "naq/schedule.hpp"
#include "worker/ready_jobs.hpp"

using namespace naq;
using Catch::Matchers::Contains;

TEST_CASE("priorities: a job's priority travels in its options, only when not normal", "[priorities][codec]") {
    Job job;
    job.id = "j1";
    job.queue = "q";
    job.task = "t";
    CHECK_FALSE(Json::parse(codec::encode(job))["options"].contains("priority"));
    CHECK(codec::decode_job(codec::encode(job)).priority == Priority::normal);
    for (Priority p : {Priority::high, Priority::low}) {
        job.priority = p;
        Json j = Json::parse(codec::encode(job));
        CHECK(j["options"]["priority"] == to_string(p));
        CHECK(codec::to_json(job)["options"]["priority"] == to_string(p));  // the tree says the same
        CHECK(codec::decode_job(codec::encode(job)).priority == p);
    }
    CHECK(codec::decode_job(R"({"id":"j","task":"t","options":{"priority":"normal"}})").priority == Priority::normal);
    CHECK_THROWS_WITH(codec::decode_job(R"({"id":"j","task":"t","options":{"priority":"urgent"}})"),
                      Contains("priority") && Contains("high, normal or low"));
    CHECK_THROWS_AS(codec::decode_job(R"({"id":"j","task":"t","options":{"priority":1}})"), SerializationError);
    CHECK_THROWS_AS(codec::decode_job(R"({"id":"j","task":"t","options":{"priority":"HIGH"}})"), SerializationError);
}

TEST_CASE("priorities: the job record and schedule options carry it", "[priorities][codec]") {
    JobStatus s;
    s.id = "j1";
    s.priority = Priority::low;
    CHECK(Json::parse(codec::encode(s))["priority"] == "low");
    CHECK(codec::decode_status(codec::encode(s)).priority == Priority::low);
    CHECK(codec::to_json(s)["priority"] == "low");
    s.priority = Priority::normal;
    CHECK_FALSE(Json::parse(codec::encode(s)).contains("priority"));
    CHECK_THROWS_AS(codec::decode_status(R"({"id":"j","state":"queued","priority":[]})"), SerializationError);

    EnqueueOptions o{.priority = Priority::high};
    CHECK(codec::options_json(o)["priority"] == "high");
    CHECK(codec::options_from(codec::options_json(o), "schedule").priority == Priority::high);
    CHECK_THROWS_AS(codec::options_from(Json{{"priority", "x"}}, "schedule"), SerializationError);
}

TEST_CASE("priorities: each level has its subject and consumer, apart from every queue's", "[priorities]") {
    Config c;
    CHECK(names::queue_subject(c, "emails", Priority::normal) == names::queue_subject(c, "emails"));
    CHECK(names::queue_subject(c, "emails", Priority::high) == "naq.queue.emails.high");
    CHECK(names::queue_subject(c, "emails", Priority::low) == "naq.queue.emails.low");
    CHECK(names::all_queue_levels_subject(c) == "naq.queue.*.*");
    CHECK(names::worker_consumer(c, "emails", Priority::normal) == "naq-worker-emails");
    CHECK(names::worker_consumer(c, "emails", Priority::high) == "naq-high-emails");
    CHECK(names::worker_consumer(c, "emails", Priority::low) == "naq-low-emails");
    // A queue named like a level's consumer suffix still gets a consumer of its own.
    CHECK(names::worker_consumer(c, "high-emails") != names::worker_consumer(c, "emails", Priority::high));
    CHECK(priority_from_string("low") == Priority::low);
    CHECK_THROWS_AS(priority_from_string(""), SerializationError);
}

namespace {

using Ready = ReadyJobs<int>;

Ready::Entry entry(std::size_t queue, Priority level) { return {queue, nullptr, level, 0}; }

}  // namespace

TEST_CASE("priorities: fetched jobs run high before normal before low, first in first out", "[priorities]") {
    Ready ready({1}, false);
    ready.push(entry(0, Priority::low));
    ready.push(entry(0, Priority::normal));
    ready.push(entry(0, Priority::high));
    ready.push(entry(0, Priority::normal));
    CHECK(ready.size() == 4);
    CHECK(ready.ahead_of(0, Priority::high) == 1);
    CHECK(ready.ahead_of(0, Priority::normal) == 3);
    CHECK(ready.ahead_of(0, Priority::low) == 4);
    std::vector<Priority> order;
    while (auto e = ready.pop()) order.push_back(e->level);
    CHECK(order == std::vector<Priority>{Priority::high, Priority::normal, Priority::normal, Priority::low});
    CHECK(ready.empty());
}

TEST_CASE("priorities: queues share by weight, interleaved, and strict runs them in order", "[priorities]") {
    Ready weighted({6, 3, 1}, false);
    for (int i = 0; i < 100; ++i) {
        for (std::size_t q = 0; q < 3; ++q) weighted.push(entry(q, Priority::normal));
    }
    std::map<std::size_t, int> runs;
    std::string first_ten;
    for (int i = 0; i < 100; ++i) {
        auto e = weighted.pop();
        REQUIRE(e);
        ++runs[e->queue];
        if (i < 10) first_ten += static_cast<char>('a' + e->queue);
    }
    CHECK(runs[0] == 60);
    CHECK(runs[1] == 30);
    CHECK(runs[2] == 10);
    CHECK(first_ten == "abaabacaba");  // smooth: never six of one queue in a row
    // A queue with nothing waiting neither runs nor banks credit for later.
    auto taken = weighted.take_queue(0);
    CHECK(taken.size() == 40);
    CHECK(weighted.pop()->queue == 1);

    Ready strict({1, 1}, true);
    strict.push(entry(1, Priority::high));
    strict.push(entry(0, Priority::low));
    CHECK(strict.ahead_of(1, Priority::normal) == 2);  // everything of the queue before it
    CHECK(strict.pop()->queue == 0);                   // the first queue, whatever the level
    CHECK(strict.pop()->queue == 1);
}
