// Queue limits against a real nats-server: a rate limit and a concurrency limit shared by
// several workers (Queue::set_limits, `naq queue limit`, the limits in `naq queues`).
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
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

// Jobs running at once, and the most ever seen: what a handler that records its overlap sees.
struct Overlap {
    std::atomic<int> now{0};
    std::atomic<int> most{0};
    std::atomic<int> runs{0};

    void run(Millis hold) {
        int n = ++now;
        int seen = most.load();
        while (n > seen && !most.compare_exchange_weak(seen, n)) {}
        std::this_thread::sleep_for(hold);
        --now;
        ++runs;
    }
};

}  // namespace

TEST_CASE("queue limits: 3 workers under a limit of 50 jobs/s start 1,000 (±10 %) in 20 s", "[queue_limits]") {
    Config c = test::test_config();
    test::QueueWithWorker lq("lq", c);
    std::mutex mutex;
    std::vector<int64_t> starts;  // Unix ms of every start
    lq.tasks.add("tick", [&](JobContext&, const Json&) -> Json {
        std::lock_guard lock(mutex);
        starts.push_back(now_ms());
        return nullptr;
    });
    REQUIRE(lq.queue.set_limits({.rate_max = 50, .rate_period = 1s}));
    CHECK_FALSE(lq.queue.set_limits({.rate_max = 50, .rate_period = 1s}));  // unchanged: nothing written
    std::vector<JobSpec> jobs;
    for (int i = 0; i < 2000; ++i) jobs.push_back({"tick", {{"i", i}}});
    REQUIRE(lq.queue.enqueue_many(jobs).ids.size() == 2000);

    const int64_t t0 = now_ms();
    for (int i = 0; i < 3; ++i) lq.start_worker({.concurrency = 8});
    std::this_thread::sleep_for(20s);
    const int64_t t1 = now_ms();
    lq.stop_workers();

    std::lock_guard lock(mutex);
    const auto in_run = std::count_if(starts.begin(), starts.end(), [&](int64_t t) { return t >= t0 && t < t1; });
    INFO("started in " << (t1 - t0) << " ms: " << in_run);
    CHECK(in_run >= 900);
    CHECK(in_run <= 1100);
    // No one-second window (aligned to Unix time, as the limiter's are) saw much more than 50: a
    // lease taken at a window's very end may start its jobs just after it.
    std::map<int64_t, int> per_window;
    for (int64_t t : starts) ++per_window[t / 1000];
    int busiest = 0;
    for (const auto& [w, n] : per_window) busiest = std::max(busiest, n);
    INFO("busiest window: " << busiest);
    CHECK(busiest <= 60);
}

TEST_CASE("queue limits: a concurrency limit of 3 holds across 3 workers and reaches running workers",
          "[queue_limits]") {
    Config c = test::test_config();
    test::QueueWithWorker kq("kq", c);
    Overlap overlap;
    kq.tasks.add("overlap", [&](JobContext&, const Json&) -> Json {
        overlap.run(40ms);
        return nullptr;
    });
    std::vector<Worker*> workers;
    for (int i = 0; i < 3; ++i) workers.push_back(&kq.start_worker({.concurrency = 4}));
    for (auto* w : workers) w->wait_started();
    // Set while the workers run: the control watch brings it to each of them.
    REQUIRE(kq.queue.set_limits({.concurrency = 3}));
    CHECK(kq.queue.control().limits.concurrency == 3);
    REQUIRE(
        test::eventually([&] { return read_events(c, {.queue = "kq", .type = "queue_limits_changed"}).size() == 1; }));
    std::this_thread::sleep_for(1s);  // the documented bound for workers to apply a change

    std::vector<std::string> ids;
    for (int i = 0; i < 90; ++i) ids.push_back(kq.enqueue("overlap", {{"i", i}}));
    for (const auto& id : ids) CHECK(kq.wait_final(id, 30s).state == JobState::succeeded);
    INFO("most at once: " << overlap.most.load());
    CHECK(overlap.most.load() <= 3);
    CHECK(overlap.most.load() == 3);  // the limit is shared room, not one worker's
    CHECK(overlap.runs.load() == 90);

    // Lifted: the 12 handler slots of the 3 workers are all used again.
    REQUIRE(kq.queue.set_limits({}));
    std::this_thread::sleep_for(1s);
    overlap.most = 0;
    ids.clear();
    for (int i = 0; i < 60; ++i) ids.push_back(kq.enqueue("overlap", {{"i", i}}));
    for (const auto& id : ids) CHECK(kq.wait_final(id, 30s).state == JobState::succeeded);
    CHECK(overlap.most.load() > 3);
}

TEST_CASE("queue limits: naq queue limit sets, shows and clears them, and refuses bad limits", "[queue_limits][cli]") {
    Config c = test::test_config();
    Queue q("cl", c);
    std::string out;
    REQUIRE(test::run_command(naq_cmd(c, "queue limit cl --rate 10/s --concurrency 2"), &out) == 0);
    CHECK(out == "queue cl limits set: rate 10/1s, concurrency 2\n");
    out.clear();
    // What is not given stays: only the rate changes.
    REQUIRE(test::run_command(naq_cmd(c, "--json queue limit cl --rate 600/1m"), &out) == 0);
    CHECK(Json::parse(out) == Json{{"queue", "cl"},
                                   {"rate_max", 600},
                                   {"rate_period_ms", 60000},
                                   {"concurrency", 2},
                                   {"tasks", Json::object()},
                                   {"changed", true}});
    QueueLimits limits = q.control().limits;
    CHECK(limits == QueueLimits{.rate_max = 600, .rate_period = 60s, .concurrency = 2});
    out.clear();
    REQUIRE(test::run_command(naq_cmd(c, "queues --json"), &out) == 0);
    auto rows = Json::parse(out);
    REQUIRE(rows.size() == 1);
    CHECK(rows[0]["rate_max"] == 600);
    CHECK(rows[0]["rate_period_ms"] == 60000);
    CHECK(rows[0]["concurrency_limit"] == 2);
    out.clear();
    REQUIRE(test::run_command(naq_cmd(c, "queues"), &out) == 0);
    CHECK(out.find("600/1m,2 at once") != std::string::npos);

    // Bad limits: one line that says what, exit 2, nothing changed.
    for (const char* bad : {"--rate 5/x", "--rate 5", "--rate -1/s", "--rate x/s", "--rate 5/1ms", "--concurrency -1",
                            "--concurrency 100001", "--rate 1000000001/s"}) {
        INFO(bad);
        std::string err;
        CHECK(test::run_command(naq_cmd(c, std::string("queue limit cl ") + bad + " 2>&1 >/dev/null"), &err) == 2);
        CHECK(err.rfind("naq: ", 0) == 0);
        CHECK(std::count(err.begin(), err.end(), '\n') == 1);
    }
    CHECK(q.control().limits == limits);
    CHECK(test::run_command(naq_cmd(c, "queue limit 'a.b' --concurrency 1 2>/dev/null")) == 2);

    // A task's limit, beside the queue's.
    out.clear();
    REQUIRE(test::run_command(naq_cmd(c, "queue limit cl --task 'send sms' --concurrency 4"), &out) == 0);
    CHECK(out == "queue cl limits set: rate 600/1m, concurrency 2, task send sms 4\n");
    CHECK(q.control().limits.tasks == std::map<std::string, int>{{"send sms", 4}});
    out.clear();
    REQUIRE(test::run_command(naq_cmd(c, "queues --json"), &out) == 0);
    CHECK(Json::parse(out)[0]["task_limits"] == Json{{"send sms", 4}});
    CHECK(test::run_command(naq_cmd(c, "queue limit cl --task x 2>/dev/null")) == 2);  // no limit given
    CHECK(test::run_command(naq_cmd(c, "queue limit cl --task x --concurrency 1 --rate 5/s 2>/dev/null")) == 2);
    REQUIRE(test::run_command(naq_cmd(c, "queue limit cl --task 'send sms' --concurrency 0"), &out) == 0);
    CHECK(q.control().limits.tasks.empty());
    limits = q.control().limits;
    out.clear();
    REQUIRE(test::run_command(naq_cmd(c, "queue limit cl --clear"), &out) == 0);
    CHECK(out == "queue cl limits set: rate none, concurrency none\n");
    CHECK_FALSE(q.control().limits.any());
    out.clear();
    REQUIRE(test::run_command(naq_cmd(c, "queue limit cl --rate none"), &out) == 0);
    CHECK(out == "queue cl limits unchanged: rate none, concurrency none\n");
    // Pausing keeps the limits, setting limits keeps the pause.
    REQUIRE(q.set_limits({.concurrency = 5}));
    REQUIRE(q.pause("why"));
    CHECK(q.control().limits.concurrency == 5);
    REQUIRE(q.set_limits({.concurrency = 6}));
    CHECK(q.control().paused);
    CHECK(q.control().reason == "why");
    CHECK(read_events(c, {.queue = "cl", .type = "queue_limits_changed"}).size() == 7);
}

TEST_CASE("queue limits: a task's concurrency limit holds across 3 workers, its waiting jobs hold no slot",
          "[queue_limits]") {
    Config c = test::test_config();
    test::QueueWithWorker tq("tq", c);
    Overlap limited;
    Overlap free;
    tq.tasks.add("limited", [&](JobContext&, const Json&) -> Json {
        limited.run(40ms);
        return nullptr;
    });
    tq.tasks.add("free", [&](JobContext&, const Json&) -> Json {
        free.run(40ms);
        return nullptr;
    });
    REQUIRE(tq.queue.set_limits({.tasks = {{"limited", 2}}}));
    CHECK(tq.queue.control().limits.tasks == std::map<std::string, int>{{"limited", 2}});
    std::vector<Worker*> workers;
    for (int i = 0; i < 3; ++i) workers.push_back(&tq.start_worker({.concurrency = 4}));
    for (auto* w : workers) w->wait_started();

    // The limited jobs first: they fill the fetches, and the ones over the limit wait aside.
    std::vector<std::string> ids;
    for (int i = 0; i < 40; ++i) ids.push_back(tq.enqueue("limited", {{"i", i}}));
    for (int i = 0; i < 60; ++i) ids.push_back(tq.enqueue("free", {{"i", i}}));
    for (const auto& id : ids) CHECK(tq.wait_final(id, 60s).state == JobState::succeeded);
    INFO("limited: most at once " << limited.most.load() << "; free: most at once " << free.most.load());
    CHECK(limited.most.load() <= 2);
    CHECK(limited.most.load() == 2);
    CHECK(limited.runs.load() == 40);
    // The other task runs on the slots the waiting jobs do not hold: more than 12 - 2 - ... would
    // be impossible if each waiting job held a slot (40 limited jobs would fill all 12).
    CHECK(free.most.load() >= 6);
    CHECK(free.runs.load() == 60);

    // Lifted: both run freely.
    REQUIRE(tq.queue.set_limits({}));
    std::this_thread::sleep_for(1s);
    limited.most = 0;
    ids.clear();
    for (int i = 0; i < 30; ++i) ids.push_back(tq.enqueue("limited", {{"i", i}}));
    for (const auto& id : ids) CHECK(tq.wait_final(id, 30s).state == JobState::succeeded);
    CHECK(limited.most.load() > 2);
}

TEST_CASE("queue limits: a concurrency limit holds, and every job finishes, across a nats-server restart",
          "[queue_limits][fault]") {
    test::PrivateNatsServer server;
    Config c = test::config_for(server.url());
    c.nats.reconnect_wait = 100ms;
    c.worker.ack_wait = 3s;  // a job whose ack the restart lost comes back soon
    test::QueueWithWorker rq("rl", c);
    Overlap overlap;
    rq.tasks.add("overlap", [&](JobContext&, const Json&) -> Json {
        overlap.run(100ms);
        return nullptr;
    });
    REQUIRE(rq.queue.set_limits({.concurrency = 2}));
    for (int i = 0; i < 2; ++i) rq.start_worker({.concurrency = 4}).wait_started();
    std::vector<std::string> ids;
    for (int i = 0; i < 30; ++i) ids.push_back(rq.enqueue("overlap", {{"i", i}}));
    REQUIRE(test::eventually([&] { return overlap.runs.load() >= 5; }, 20s));

    server.stop();
    server.start();
    for (const auto& id : ids) CHECK(rq.wait_final(id, 60s).state == JobState::succeeded);
    INFO("most at once: " << overlap.most.load() << ", runs: " << overlap.runs.load());
    CHECK(overlap.most.load() <= 2);
    CHECK(overlap.runs.load() >= 30);  // a job whose ack was lost ran again; none was lost
}
