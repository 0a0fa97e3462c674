// Priorities against a real nats-server: per-job priority levels within a queue, and a worker
// serving several queues by weight or in strict order (WorkerOptions::weights / strict,
// `naq enqueue --priority`, `naq worker critical:6 default:3 low:1 [--strict]`).
#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <mutex>
#include <thread>

#include "naq/events.hpp"
#include "naq/queue.hpp"
#include "naq/queue_stats.hpp"
#include "support/test_env.hpp"

using namespace naq;
using namespace std::chrono_literals;
using test::naq_cmd;

namespace {

// The order in which handlers started, as "<queue>/<tag>".
struct StartLog {
    std::mutex mutex;
    std::vector<std::string> starts;

    void add(std::string s) {
        std::lock_guard lock(mutex);
        starts.push_back(std::move(s));
    }
    std::vector<std::string> snapshot() {
        std::lock_guard lock(mutex);
        return starts;
    }
    std::size_t size() {
        std::lock_guard lock(mutex);
        return starts.size();
    }
};

void add_logging_task(TaskRegistry& tasks, StartLog& log) {
    tasks.add("logged", [&log](JobContext& ctx, const Json& args) -> Json {
        log.add(ctx.queue() + "/" + args.value("tag", std::string()));
        std::this_thread::sleep_for(std::chrono::microseconds(args.value("us", 0)));
        return nullptr;
    });
}

std::vector<JobSpec> logged_jobs(int n, const std::string& tag, int us, Priority priority = Priority::normal) {
    std::vector<JobSpec> jobs;
    for (int i = 0; i < n; ++i) jobs.push_back({"logged", {{"tag", tag}, {"us", us}}, {.priority = priority}});
    return jobs;
}

}  // namespace

TEST_CASE("priorities: a high job starts before a queue's backlog of low jobs", "[priorities]") {
    Config c = test::test_config();
    test::QueueWithWorker pq("pq", c);
    StartLog log;
    add_logging_task(pq.tasks, log);
    REQUIRE(pq.queue.enqueue_many(logged_jobs(60, "low", 20'000, Priority::low)).ok());
    pq.start_worker({.concurrency = 2});
    REQUIRE(test::eventually([&] { return log.size() >= 4; }));

    const std::size_t before = log.size();
    std::string high = pq.enqueue("logged", {{"tag", "high"}}, {.priority = Priority::high});
    JobStatus s = pq.wait_final(high);
    CHECK(s.state == JobState::succeeded);
    CHECK(s.priority == Priority::high);
    auto starts = log.snapshot();
    auto at = std::find(starts.begin(), starts.end(), "pq/high") - starts.begin();
    // Only the low jobs already running (2), or taking a handler at the very moment it came,
    // start between its enqueue and its start: not the ~50 fetched or stored behind them.
    INFO("low jobs started after the high job was enqueued, before it: " << at - before);
    CHECK(static_cast<std::size_t>(at) - before <= 3);
}

TEST_CASE("priorities: normal jobs start before low ones enqueued together", "[priorities]") {
    Config c = test::test_config();
    test::QueueWithWorker nq("nq", c);
    StartLog log;
    add_logging_task(nq.tasks, log);
    std::vector<JobSpec> jobs;
    for (int i = 0; i < 30; ++i) {  // interleaved on the wire: low, normal, low, normal, ...
        jobs.push_back({"logged", {{"tag", "low"}, {"us", 5000}}, {.priority = Priority::low}});
        jobs.push_back({"logged", {{"tag", "normal"}, {"us", 5000}}});
    }
    BatchResult r = nq.queue.enqueue_many(jobs);
    REQUIRE(r.ok());
    nq.start_worker({.concurrency = 1});
    for (const auto& id : r.ids) CHECK(nq.wait_final(id, 20s).state == JobState::succeeded);
    auto starts = log.snapshot();
    auto last_normal = std::find(starts.rbegin(), starts.rend(), "nq/normal").base() - starts.begin();
    auto low_before = std::count(starts.begin(), starts.begin() + last_normal, "nq/low");
    INFO("low jobs started before the last normal one: " << low_before);
    CHECK(low_before <= 3);  // the one the worker fetched first, at most a couple more

    // naq queues counts each level: nothing is left.
    auto stats = queue_stats(c);
    REQUIRE(stats.size() == 1);
    CHECK(stats[0].counts.pending == 0);
    CHECK(stats[0].counts.pending_low == 0);
}

TEST_CASE("priorities: a backlog of high, normal and low jobs all finishes across a nats-server restart, high first",
          "[priorities][fault]") {
    test::PrivateNatsServer server;
    Config c = test::config_for(server.url());
    c.nats.reconnect_wait = 100ms;
    c.worker.ack_wait = 3s;  // a job whose ack the restart lost comes back soon
    test::QueueWithWorker rq("prestart", c);
    StartLog log;
    add_logging_task(rq.tasks, log);
    std::vector<JobSpec> jobs = logged_jobs(40, "low", 2000, Priority::low);
    for (auto& j : logged_jobs(40, "normal", 2000)) jobs.push_back(std::move(j));
    for (auto& j : logged_jobs(40, "high", 2000, Priority::high)) jobs.push_back(std::move(j));
    BatchResult r = rq.queue.enqueue_many(jobs);
    REQUIRE(r.ok());

    // The backlog is stored (file storage) while no worker runs; the server restarts under it.
    server.stop();
    server.start();
    rq.start_worker({.concurrency = 1});
    for (const auto& id : r.ids) CHECK(rq.wait_final(id, 60s).state == JobState::succeeded);
    auto starts = log.snapshot();
    CHECK(starts.size() >= r.ids.size());  // none lost (a lost ack may run one twice)
    // One handler: the high jobs start first, however the consumers came back; only the one job
    // each idle level's waiting pull brought at start-up may come before the last high one.
    auto last_high = std::find(starts.rbegin(), starts.rend(), "prestart/high").base() - starts.begin();
    auto others_before = last_high - std::count(starts.begin(), starts.begin() + last_high, "prestart/high");
    INFO("normal and low jobs started before the last high one: " << others_before);
    CHECK(others_before <= 3);

    // And with jobs running when it goes: nothing lost either.
    REQUIRE(rq.queue.enqueue_many(logged_jobs(30, "high", 20'000, Priority::high)).ok());
    BatchResult low = rq.queue.enqueue_many(logged_jobs(30, "low", 20'000, Priority::low));
    REQUIRE(low.ok());
    REQUIRE(test::eventually([&] { return log.size() >= starts.size() + 5; }, 20s));
    server.stop();
    server.start();
    for (const auto& id : low.ids) CHECK(rq.wait_final(id, 60s).state == JobState::succeeded);
}

TEST_CASE("priorities: a worker shares its handlers by queue weight (6:3:1 within 10 % over 10k jobs)",
          "[priorities]") {
    Config c = test::test_config();
    test::QueueWithWorker wq("critical", c);
    StartLog log;
    add_logging_task(wq.tasks, log);
    Queue normal("default", c);
    Queue low("low", c);
    REQUIRE(wq.queue.enqueue_many(logged_jobs(7000, "", 100)).ok());
    REQUIRE(normal.enqueue_many(logged_jobs(7000, "", 100)).ok());
    REQUIRE(low.enqueue_many(logged_jobs(7000, "", 100)).ok());
    wq.start_worker({.queues = {"critical", "default", "low"}, .concurrency = 4, .weights = {6, 3, 1}});
    REQUIRE(test::eventually([&] { return log.size() >= 10'000; }, 60s));
    wq.stop_workers();

    auto starts = log.snapshot();
    std::map<std::string, int> share;
    for (std::size_t i = 0; i < 10'000; ++i) ++share[starts[i]];
    INFO("critical " << share["critical/"] << ", default " << share["default/"] << ", low " << share["low/"]);
    CHECK(std::abs(share["critical/"] - 6000) <= 600);
    CHECK(std::abs(share["default/"] - 3000) <= 300);
    CHECK(std::abs(share["low/"] - 1000) <= 100);  // under weights the low queue is not starved
}

TEST_CASE("priorities: a strict worker starts a queue's jobs only when the queues before it have none",
          "[priorities]") {
    Config c = test::test_config();
    test::QueueWithWorker sq("first", c);
    StartLog log;
    add_logging_task(sq.tasks, log);
    Queue second("second", c);
    REQUIRE(second.enqueue_many(logged_jobs(300, "", 500)).ok());
    REQUIRE(sq.queue.enqueue_many(logged_jobs(300, "", 500)).ok());
    sq.start_worker({.queues = {"first", "second"}, .concurrency = 2, .strict = true});
    REQUIRE(test::eventually([&] { return log.size() >= 600; }, 30s));
    auto starts = log.snapshot();
    auto last_first = std::find(starts.rbegin(), starts.rend(), "first/").base() - starts.begin();
    auto second_before = std::count(starts.begin(), starts.begin() + last_first, "second/");
    INFO("second-queue jobs started before the first queue ran dry: " << second_before);
    CHECK(second_before <= 6);  // only while the first queue's next jobs were being fetched
}

TEST_CASE("priorities: naq enqueue --priority, naq job, naq queues and naq worker weights", "[priorities][cli]") {
    Config c = test::test_config();
    Queue q("cp", c);
    std::string out;
    REQUIRE(test::run_command(naq_cmd(c, "--json enqueue echo -q cp --priority high"), &out) == 0);
    const std::string id = Json::parse(out)["id"];
    out.clear();
    REQUIRE(test::run_command(naq_cmd(c, "job " + id), &out) == 0);
    CHECK(out.find("priority") != std::string::npos);
    CHECK(out.find("high") != std::string::npos);
    out.clear();
    REQUIRE(test::run_command(naq_cmd(c, "--json enqueue echo -q cp -p low"), &out) == 0);
    out.clear();
    REQUIRE(test::run_command(naq_cmd(c, "queues --json"), &out) == 0);
    auto rows = Json::parse(out);
    REQUIRE(rows.size() == 1);
    CHECK(rows[0]["pending"] == 2);
    CHECK(rows[0]["pending_high"] == 1);
    CHECK(rows[0]["pending_low"] == 1);
    CHECK(q.counts().pending == 2);
    out.clear();
    REQUIRE(test::run_command(naq_cmd(c, "queues"), &out) == 0);
    CHECK(out.find("2 (1 high, 1 low)") != std::string::npos);
    auto enqueued = read_events(c, {.type = "enqueued", .job_id = id});
    REQUIRE(enqueued.size() == 1);
    CHECK(enqueued[0].data["priority"] == "high");
    CHECK(q.purge() == 2);  // every level

    // Bad input: exit 2, and a line that says what.
    std::string err;
    CHECK(test::run_command(naq_cmd(c, "enqueue echo -q cp --priority urgent 2>&1 >/dev/null"), &err) == 2);
    CHECK(err.find("--priority: urgent not in {high,normal,low}") != std::string::npos);
    for (const char* bad : {"worker cp:0", "worker cp:1001", "worker cp:2 other:3 --strict", "worker cp cp"}) {
        INFO(bad);
        std::string err;
        CHECK(test::run_command(naq_cmd(c, std::string(bad) + " 2>&1 >/dev/null"), &err) == 2);
        CHECK(std::count(err.begin(), err.end(), '\n') == 1);
    }
}
