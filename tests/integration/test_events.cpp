// Events against a real nats-server: every transition of a job, in order, filterable, replayable.
#include <catch2/catch.hpp>

#include <chrono>
#include <thread>

#include "naq/errors.hpp"
#include "naq/events.hpp"
#include "naq/names.hpp"
#include "naq/queue.hpp"
#include "naq/results.hpp"
#include "support/test_env.hpp"

using namespace naq;
using namespace std::chrono_literals;
using test::naq_cmd;

namespace {

std::vector<std::string> types_of(const std::vector<Event>& events) {
    std::vector<std::string> out;
    for (const auto& e : events) out.emplace_back(to_string(e.type));
    return out;
}

// The events of one job once `n` of them are stored (they are published asynchronously).
std::vector<Event> job_events(const Config& c, const std::string& id, std::size_t n) {
    std::vector<Event> events;
    bool all = test::eventually([&] {
        events = read_events(c, {.job_id = id});
        return events.size() >= n;
    });
    INFO("job " << id << ": " << events.size() << " of " << n << " events");
    REQUIRE(all);
    return events;
}

// `n` enqueued events of jobs "<prefix>0", "<prefix>1", … on `queue`, stored before it returns.
void publish_enqueued(const Config& c, const std::string& queue, const std::string& prefix, int n) {
    EventPublisher events(c);
    REQUIRE(events.enabled());
    Job job;
    job.queue = queue;
    job.task = "echo";
    for (int i = 0; i < n; ++i) {
        job.id = prefix + std::to_string(i);
        events.publish(job_event(EventType::enqueued, job));
    }
    REQUIRE(events.flush(5s));
}

}  // namespace

TEST_CASE("events: a succeeding job's transitions arrive in order", "[events]") {
    test::QueueWithWorker ev_ok("ev_ok");
    ev_ok.tasks.add_builtins(false);
    Worker& w = ev_ok.start_worker({.concurrency = 2});
    std::string id = ev_ok.enqueue("echo", {{"x", 1}});
    ev_ok.wait_result(id);
    auto events = job_events(ev_ok.config, id, 3);
    REQUIRE(types_of(events) == std::vector<std::string>{"enqueued", "started", "succeeded"});
    for (const auto& e : events) {
        CHECK(e.job_id == id);
        CHECK(e.queue == "ev_ok");
        CHECK(e.task == "echo");
        CHECK(e.at_ms > 0);
    }
    CHECK(events[1].attempt == 1);
    CHECK(events[1].worker == w.id());
    CHECK(events[2].worker == w.id());
    REQUIRE(events[2].duration_ms);
    CHECK(*events[2].duration_ms >= 0);
    CHECK(events[0].sequence < events[1].sequence);
    CHECK(events[1].sequence < events[2].sequence);
    CHECK(events[0].at_ms <= events[2].at_ms);
}

TEST_CASE("events: a retried-then-dead job shows every attempt, failure, retry and the dead letter", "[events]") {
    test::QueueWithWorker ev_dead("ev_dead");
    ev_dead.tasks.add_builtins(false);
    ev_dead.start_worker();
    EnqueueOptions opts;
    opts.max_attempts = 2;
    opts.backoff = Backoff{BackoffKind::fixed, 0ms, 0ms, false};
    std::string id = ev_dead.enqueue("fail", {{"message", "boom"}}, opts);
    auto events = job_events(ev_dead.config, id, 7);
    REQUIRE(types_of(events) == std::vector<std::string>{"enqueued", "started", "failed", "retry_scheduled", "started",
                                                         "failed", "dead_lettered"});
    CHECK(events[1].attempt == 1);
    CHECK(events[2].attempt == 1);
    CHECK(events[2].error == "boom");
    REQUIRE(events[3].delay_ms);
    CHECK(*events[3].delay_ms == 0);
    CHECK(events[4].attempt == 2);
    CHECK(events[5].attempt == 2);
    CHECK(events[6].attempt == 2);
    CHECK(events[6].error == "boom");
}

TEST_CASE("events: filters by queue, type and job, replay since a time, and follow", "[events]") {
    test::QueueWithWorker a("ev_a");
    const Config& c = a.config;
    a.tasks.add_builtins(false);
    Queue b("ev_b", c);
    Worker& w = a.start_worker({.concurrency = 2});
    a.start_worker({.queues = {"ev_b"}, .concurrency = 2});
    std::string a1 = a.enqueue("echo");
    std::string b1 = b.enqueue("echo");
    job_events(c, a1, 3);
    job_events(c, b1, 3);

    auto only_a = read_events(c, {.queue = "ev_a"});
    CHECK(only_a.size() == 3);
    for (const auto& e : only_a) CHECK(e.job_id == a1);
    auto succeeded = read_events(c, {.type = "succeeded"});
    CHECK(succeeded.size() == 2);
    for (const auto& e : succeeded) CHECK(e.type == EventType::succeeded);
    auto b_started = read_events(c, {.queue = "ev_b", .type = "started", .job_id = b1});
    REQUIRE(b_started.size() == 1);
    CHECK(b_started[0].job_id == b1);
    auto workers = read_events(c, {.queue = std::string(names::kWorkerEventsQueue)});
    REQUIRE(workers.size() == 2);
    for (const auto& e : workers) CHECK(e.type == EventType::worker_started);
    auto wa_started = read_events(c, {.job_id = w.id()});
    REQUIRE(wa_started.size() == 1);
    CHECK(wa_started[0].worker == w.id());
    CHECK_THROWS_AS(EventStream(c, {.type = "exploded"}), InvalidArgument);

    // Everything stored so far is older than `cut`; only the next job's events are newer.
    int64_t cut = now_ms() + 1;
    while (now_ms() < cut) std::this_thread::yield();
    EventStream follow(c, {.queue = "ev_a", .only_new = true});
    CHECK(follow.caught_up());
    std::string a2 = a.enqueue("echo");
    job_events(c, a2, 3);
    auto since = read_events(c, {.since_ms = cut});
    REQUIRE(since.size() == 3);
    for (const auto& e : since) CHECK(e.job_id == a2);
    std::vector<std::string> followed;
    while (followed.size() < 3) {
        auto e = follow.next(5s);
        REQUIRE(e);
        CHECK(e->job_id == a2);
        followed.emplace_back(to_string(e->type));
    }
    CHECK(followed == std::vector<std::string>{"enqueued", "started", "succeeded"});
}

TEST_CASE("events: nothing is published when events.enabled is false", "[events]") {
    Config c = test::test_config();
    c.events.enabled = false;
    test::QueueWithWorker ev_off("ev_off", c);
    ev_off.tasks.add_builtins(false);
    ev_off.start_worker();
    ev_off.wait_result(ev_off.enqueue("echo"));
    ev_off.stop_workers();
    Config reader = c;
    reader.events.enabled = true;
    CHECK(read_events(reader).empty());
    CHECK_FALSE(EventPublisher(c).enabled());
}

TEST_CASE("events: naq events replays with filters, as text and JSON", "[events][cli]") {
    test::QueueWithWorker ev_cli("ev_cli");
    const Config& c = ev_cli.config;
    ev_cli.tasks.add_builtins(false);
    ev_cli.start_worker();
    std::string id = ev_cli.enqueue("echo");
    job_events(c, id, 3);
    std::string out;
    REQUIRE(test::run_command(naq_cmd(c, "events --json --job " + id), &out) == 0);
    std::vector<std::string> types;
    std::size_t start = 0;
    while (start < out.size()) {
        std::size_t end = out.find('\n', start);
        auto j = Json::parse(out.substr(start, end - start));
        CHECK(j["job_id"] == id);
        types.push_back(j["type"]);
        start = end + 1;
    }
    CHECK(types == std::vector<std::string>{"enqueued", "started", "succeeded"});
    out.clear();
    REQUIRE(test::run_command(naq_cmd(c, "events --queue ev_cli --type succeeded --since 10m"), &out) == 0);
    CHECK(out.find("succeeded") != std::string::npos);
    CHECK(out.find("job=" + id) != std::string::npos);
    CHECK(out.find("started") == std::string::npos);
    CHECK(test::run_command(naq_cmd(c, "events --type exploded 2>/dev/null")) == 2);
    CHECK(test::run_command(naq_cmd(c, "events --since soon 2>/dev/null")) == 2);
}

TEST_CASE("events: a lost event shows as a gap in its publisher's numbering, in naq events", "[events][cli]") {
    Config c = test::test_config();
    publish_enqueued(c, "ev_gaps", "gap-", 5);
    auto stored = read_events(c);
    REQUIRE(stored.size() == 5);
    CHECK(count_event_gaps(stored).missing == 0);
    CHECK(count_event_gaps(stored).sources == 1);
    for (std::size_t i = 1; i < stored.size(); ++i) CHECK(stored[i].source_seq == stored[i - 1].source_seq + 1);

    // Lose the third one, as a server restart or a cut would.
    jetstream(c).delete_message(names::events_stream(c), stored[2].sequence);
    CHECK(count_event_gaps(read_events(c)).missing == 1);
    std::string out;
    REQUIRE(test::run_command(naq_cmd(c, "events --summary --json"), &out) == 0);
    auto summary = Json::parse(out);
    CHECK(summary["events"] == 4);
    CHECK(summary["by_type"]["enqueued"] == 4);
    CHECK(summary["missing"] == 1);
    out.clear();
    REQUIRE(test::run_command(naq_cmd(c, "events"), &out) == 0);
    CHECK(out.find("4 events from 1 publishers; 1 missing") != std::string::npos);
    CHECK(test::run_command(naq_cmd(c, "events --summary --follow 2>/dev/null")) == 2);
}

TEST_CASE("events: a bounded read stops at max_messages or past until_ms, and says it was cut short", "[events]") {
    Config c = test::test_config();
    publish_enqueued(c, "ev_bounded", "bounded-", 10);
    bool truncated = false;
    auto first = read_events(c, {.max_messages = 4}, &truncated);
    CHECK(first.size() == 4);
    CHECK(truncated);
    auto all = read_events(c, {.max_messages = 100}, &truncated);
    CHECK(all.size() == 10);
    CHECK_FALSE(truncated);
    // A job id filter reads only up to the cap: the last job's event lies beyond it.
    CHECK(read_events(c, {.job_id = "bounded-9", .max_messages = 4}).empty());
    CHECK(read_events(c, {.job_id = "bounded-9"}).size() == 1);
    CHECK(read_events(c, {.until_ms = 0}).empty());  // everything was stored after time 0
}
