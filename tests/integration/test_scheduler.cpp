// The scheduler against a real nats-server: delayed jobs, intervals with repeat, cron with
// seconds, changes through the KV watch, missed runs, standby and takeover, and the CLI.
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <map>
#include <set>
#include <thread>

#include "core/lease_record.hpp"
#include "naq/codec.hpp"
#include "naq/errors.hpp"
#include "naq/events.hpp"
#include "naq/jetstream.hpp"
#include "naq/kv_store.hpp"
#include "naq/names.hpp"
#include "naq/queue.hpp"
#include "naq/results.hpp"
#include "naq/schedule.hpp"
#include "naq/schedule_store.hpp"
#include "naq/scheduler.hpp"
#include "scheduler/leader_lease.hpp"
#include "support/test_env.hpp"

using namespace naq;
using namespace std::chrono_literals;
using test::naq_cmd;

namespace {

/// A Scheduler on its own thread for the length of a scope.
class RunningScheduler {
public:
    explicit RunningScheduler(const Config& config, SchedulerOptions options = {})
        : scheduler_(std::make_unique<Scheduler>(config, std::move(options))) {
        thread_ = std::thread([this] {
            try {
                scheduler_->run();
            } catch (const std::exception&) {
                // wait_started() rethrows it
            }
        });
        scheduler_->wait_started();
    }
    ~RunningScheduler() { stop(); }
    void stop() {
        if (!thread_.joinable()) return;
        scheduler_->stop();
        thread_.join();
    }
    Scheduler* operator->() { return scheduler_.get(); }

private:
    std::unique_ptr<Scheduler> scheduler_;
    std::thread thread_;
};

/// Ids of the jobs stored in the jobs stream for `queue`, in stream order (no worker consumes them).
std::vector<std::string> stored_ids(const Config& c, const std::string& queue) {
    auto js = jetstream(c);
    std::string stream = names::jobs_stream(c);
    auto state = js.stream_state(stream);
    std::vector<std::string> ids;
    for (uint64_t seq = state.first_sequence; state.messages > 0 && seq <= state.last_sequence; ++seq) {
        try {
            Job job = codec::decode_job(js.get_message(stream, seq));
            if (job.queue == queue) ids.push_back(job.id);
        } catch (const NotFound&) {}
    }
    return ids;
}

std::size_t count_with_prefix(const std::vector<std::string>& ids, const std::string& prefix) {
    std::size_t n = 0;
    for (const auto& id : ids) n += id.rfind(prefix, 0) == 0 ? 1 : 0;
    return n;
}

int64_t ms_of(std::chrono::system_clock::time_point tp) {
    return std::chrono::duration_cast<Millis>(tp.time_since_epoch()).count();
}

}  // namespace

TEST_CASE("scheduler: a delayed job fires at its time and its result is under the returned id", "[scheduler]") {
    test::QueueWithWorker later("later");
    const Config& c = later.config;
    later.tasks.add_builtins(false);
    later.start_worker();
    RunningScheduler scheduler(c);
    int64_t due = now_ms() + 400;
    std::string id = later.queue.enqueue_at(std::chrono::system_clock::time_point(Millis(due)), "echo", {{"x", 1}});
    CHECK(ScheduleStore(c).get(id).kind == ScheduleKind::once);
    JobResult r = later.wait_result(id, 15s);
    CHECK(r.ok);
    CHECK(r.result["x"] == 1);
    JobStatus s = later.results.status(id);
    CHECK(s.enqueued_at_ms >= due);  // never early: a lower bound, the essence of a delayed job
    // Not absurdly late: a loose bound, 5 s against a lateness of milliseconds (docs/scheduler.md).
    CHECK(s.enqueued_at_ms <= due + 5000);
    CHECK(test::eventually([&] { return !ScheduleStore(c).try_get(id).has_value(); }));  // one-shot: removed
    CHECK(scheduler->stats().fired == 1);
    CHECK(scheduler->stats().lateness.count == 1);
}

TEST_CASE("scheduler: an interval schedule with repeat N fires exactly N times", "[scheduler]") {
    Config c = test::test_config();
    RunningScheduler scheduler(c);
    Queue q("ticks", c);
    auto start = std::chrono::system_clock::now() + 300ms;
    std::string id = q.schedule(Every{200ms}, "echo", {{"tick", true}}, {}, {.repeat = 4, .start = start});
    REQUIRE(test::eventually([&] { return !ScheduleStore(c).try_get(id).has_value(); }, 15s));  // last run removes it
    auto ids = stored_ids(c, "ticks");
    int64_t t0 = ms_of(start);
    CHECK(ids == std::vector<std::string>{id + "_" + std::to_string(t0), id + "_" + std::to_string(t0 + 200),
                                          id + "_" + std::to_string(t0 + 400), id + "_" + std::to_string(t0 + 600)});
    CHECK(scheduler->stats().fired == 4);
    // Each run is also a schedule_fired event naming the schedule, the run's job and its lateness.
    EventFilter fired{.queue = std::string(names::kSchedulerEventsQueue), .type = "schedule_fired"};
    REQUIRE(test::eventually([&] { return read_events(c, fired).size() == 4; }));
    auto events = read_events(c, fired);
    for (std::size_t k = 0; k < events.size(); ++k) {
        CHECK(events[k].schedule_id == id);
        CHECK(events[k].job_id == ids[k]);
        CHECK(events[k].queue == "ticks");
        CHECK(events[k].delay_ms.has_value());
    }
}

TEST_CASE("scheduler: a cron schedule with a seconds field fires on whole seconds", "[scheduler]") {
    Config c = test::test_config();
    RunningScheduler scheduler(c);
    Queue q("cronq", c);
    std::string id = q.schedule(Cron{"* * * * * *"}, "echo", {}, {}, {.repeat = 2});
    REQUIRE(test::eventually([&] { return !ScheduleStore(c).try_get(id).has_value(); }, 15s));
    auto ids = stored_ids(c, "cronq");
    REQUIRE(ids.size() == 2);
    int64_t first = std::stoll(ids[0].substr(id.size() + 1));
    int64_t second = std::stoll(ids[1].substr(id.size() + 1));
    CHECK(first % 1000 == 0);
    CHECK(second == first + 1000);
}

TEST_CASE("scheduler: modify, pause, resume and cancel take effect at once through the watch", "[scheduler]") {
    Config c = test::test_config();
    RunningScheduler scheduler(c);
    Queue q("changes", c);
    ScheduleStore store(c);
    std::string id = q.schedule(Every{1h}, "echo");
    const std::string prefix = id + "_";
    auto fired = [&] { return count_with_prefix(stored_ids(c, "changes"), prefix); };
    // Waits until a delayed marker job due `after` from now has fired: time has passed for the
    // scheduler, without sleeping in the test.
    int marker = 0;
    auto let_time_pass = [&](Millis after) {
        std::string m = q.enqueue_in(after, "echo", {}, {.job_id = "marker-" + std::to_string(++marker)});
        REQUIRE(test::eventually([&] { return !store.try_get(m).has_value(); }, 15s));
    };

    // Every hour -> every 200 ms: fires within moments, not in an hour.
    store.modify(id, {.every = Every{200ms}});
    REQUIRE(test::eventually([&] { return fired() >= 2; }, 10s));

    store.pause(id);
    std::size_t at_pause = fired();
    let_time_pass(800ms);
    CHECK(fired() <= at_pause + 1);  // at most one run that was already being fired
    std::size_t paused_count = fired();
    let_time_pass(600ms);
    CHECK(fired() == paused_count);

    Schedule resumed = store.resume(id);
    CHECK_FALSE(resumed.paused);
    for (const char* type : {"schedule_paused", "schedule_resumed"}) {
        EventFilter f{.queue = std::string(names::kSchedulerEventsQueue), .type = type, .job_id = id};
        CHECK(test::eventually([&] { return read_events(c, f).size() == 1; }));
    }
    REQUIRE(test::eventually([&] { return fired() >= paused_count + 2; }, 10s));

    store.cancel(id);
    CHECK_THROWS_AS(store.get(id), NotFound);
    std::size_t at_cancel = fired();
    let_time_pass(800ms);
    CHECK(fired() <= at_cancel + 1);
    std::size_t cancelled_count = fired();
    let_time_pass(600ms);
    CHECK(fired() == cancelled_count);
    CHECK_THROWS_AS(store.pause(id), NotFound);
}

TEST_CASE("scheduler: missed runs older than the catch-up window follow the policy", "[scheduler]") {
    for (MissedRuns policy : {MissedRuns::skip, MissedRuns::once}) {
        DYNAMIC_SECTION("policy " << to_string(policy)) {
            Config c = test::test_config();
            Queue q("missed", c);
            auto start = std::chrono::system_clock::now() - 5min - 30s;  // 6 runs missed while no scheduler ran
            std::string id = q.schedule(Every{1min}, "echo", {}, {}, {.start = start});
            RunningScheduler scheduler(c, {.missed_runs = policy, .catch_up = 10s});
            REQUIRE(test::eventually([&] { return ScheduleStore(c).get(id).next_run_ms > now_ms(); }));
            auto ids = stored_ids(c, "missed");
            if (policy == MissedRuns::skip) {
                CHECK(ids.empty());
                CHECK(scheduler->stats().skipped == 6);
            } else {
                CHECK(ids == std::vector<std::string>{id + "_" + std::to_string(ms_of(start))});
                CHECK(scheduler->stats().missed_fired == 1);
                CHECK(scheduler->stats().skipped == 5);
            }
            Schedule s = ScheduleStore(c).get(id);
            CHECK((s.next_run_ms - ms_of(start)) % 60'000 == 0);  // the interval keeps its phase
        }
    }
}

TEST_CASE("scheduler: a second scheduler stands by and fires nothing", "[scheduler][ha]") {
    Config c = test::test_config();
    RunningScheduler a(c, {.name = "a"});
    REQUIRE(a->is_leader());
    RunningScheduler b(c, {.name = "b"});
    CHECK_FALSE(b->is_leader());
    Queue q("standby", c);
    auto start = std::chrono::system_clock::now() + 1s;
    std::string id = q.schedule(Every{150ms}, "echo", {}, {}, {.repeat = 5, .start = start});
    // A hot standby: the new schedule reaches its heap too, through the watch.
    CHECK(test::eventually([&] { return b->stats().schedules == 1; }));
    REQUIRE(test::eventually([&] { return !ScheduleStore(c).try_get(id).has_value(); }, 15s));
    CHECK(count_with_prefix(stored_ids(c, "standby"), id + "_") == 5);
    CHECK(a->stats().fired == 5);
    CHECK(b->stats().fired == 0);
    CHECK(test::eventually([&] { return a->stats().schedules == 0 && b->stats().schedules == 0; }));
    CHECK_FALSE(b->is_leader());
}

TEST_CASE("scheduler: when the leader stops, the standby takes over and no run is lost or doubled", "[scheduler][ha]") {
    Config c = test::test_config();
    c.scheduler.lock_ttl = 2s;
    c.scheduler.lock_renew = 500ms;
    auto a = std::make_unique<RunningScheduler>(c, SchedulerOptions{.name = "a"});
    REQUIRE((*a)->is_leader());
    RunningScheduler b(c, {.name = "b"});
    Queue q("takeover", c);
    const int runs = 12;
    auto start = std::chrono::system_clock::now() + 200ms;
    std::string id = q.schedule(Every{150ms}, "echo", {}, {}, {.repeat = runs, .start = start});
    REQUIRE(test::eventually([&] { return count_with_prefix(stored_ids(c, "takeover"), id + "_") >= 3; }));
    a.reset();  // graceful stop releases the lease
    REQUIRE(test::eventually([&] { return b->is_leader(); }, 5s));
    REQUIRE(test::eventually([&] { return !ScheduleStore(c).try_get(id).has_value(); }, 15s));
    auto ids = stored_ids(c, "takeover");
    std::vector<std::string> expected;
    for (int k = 0; k < runs; ++k) expected.push_back(id + "_" + std::to_string(ms_of(start) + 150 * k));
    CHECK(ids == expected);
    CHECK(b->stats().fired > 0);
    CHECK(b->stats().leader_terms == 1);
}

TEST_CASE("scheduler cli: add, list, show, pause, resume, modify, cancel with --json", "[scheduler][cli]") {
    Config c = test::test_config();
    std::string out;
    REQUIRE(test::run_command(naq_cmd(c,
                                      "--json schedule add echo --every 30s --repeat 2 --queue reports "
                                      "--id nightly --arg k=1"),
                              &out) == 0);
    Json added = Json::parse(out);
    CHECK(added["id"] == "nightly");
    CHECK(added["kind"] == "interval");
    CHECK(added["interval_ms"] == 30000);
    CHECK(added["remaining"] == 2);
    CHECK(added["args"]["k"] == 1);

    out.clear();
    REQUIRE(test::run_command(naq_cmd(c, "schedule add report --cron '*/5 * * * *' --tz Europe/Berlin"), &out) == 0);
    std::string cron_id = out.substr(0, out.find('\n'));
    CHECK(ScheduleStore(c).get(cron_id).tz == "Europe/Berlin");

    out.clear();
    REQUIRE(test::run_command(naq_cmd(c, "schedule list --json"), &out) == 0);
    CHECK(Json::parse(out).size() == 2);
    out.clear();
    REQUIRE(test::run_command(naq_cmd(c, "schedule list"), &out) == 0);
    CHECK(out.find("every 30s") != std::string::npos);
    CHECK(out.find("cron */5 * * * * (Europe/Berlin)") != std::string::npos);

    CHECK(test::run_command(naq_cmd(c, "schedule pause nightly > /dev/null")) == 0);
    out.clear();
    REQUIRE(test::run_command(naq_cmd(c, "--json schedule show nightly"), &out) == 0);
    CHECK(Json::parse(out)["paused"] == true);
    CHECK(test::run_command(naq_cmd(c, "schedule resume nightly > /dev/null")) == 0);
    CHECK_FALSE(ScheduleStore(c).get("nightly").paused);

    out.clear();
    REQUIRE(test::run_command(naq_cmd(c,
                                      "--json schedule modify nightly --cron '0 9 * * MON' --tz America/New_York "
                                      "--repeat 0"),
                              &out) == 0);
    Json modified = Json::parse(out);
    CHECK(modified["kind"] == "cron");
    CHECK(modified["tz"] == "America/New_York");
    CHECK(modified["repeat"].is_null());

    CHECK(test::run_command(naq_cmd(c, "schedule cancel nightly > /dev/null")) == 0);
    CHECK_FALSE(ScheduleStore(c).try_get("nightly").has_value());
    CHECK(ScheduleStore(c).list().size() == 1);
}

TEST_CASE("scheduler cli: bad cron, unknown zone, past --at and unknown ids are clear errors that store nothing",
          "[scheduler][cli]") {
    Config c = test::test_config();
    Queue default_queue(c.queue.default_queue, c);
    auto err = [&](const std::string& args, std::string* message = nullptr) {
        return test::run_command(naq_cmd(c, args + " 2>&1 >/dev/null"), message);
    };
    std::string msg;
    CHECK(err("schedule add echo --cron '61 * * * *'", &msg) == 2);
    CHECK(msg.find("minute: 61 is out of range") != std::string::npos);
    msg.clear();
    CHECK(err("schedule add echo --cron '* * * * *' --tz Mars/Olympus", &msg) == 2);
    CHECK(msg.find("unknown time zone 'Mars/Olympus'") != std::string::npos);
    CHECK(err("schedule add echo --every 10ms") == 2);
    CHECK(err("schedule add echo --every soon") == 2);
    CHECK(err("schedule add echo") == 2);  // no timing
    CHECK(err("schedule add echo --every 1s --cron '* * * * *'") == 2);
    msg.clear();
    CHECK(err("enqueue echo --at 2020-01-01T00:00:00Z", &msg) == 2);
    CHECK(msg.find("in the past") != std::string::npos);
    CHECK(err("enqueue echo --at 2030-01-01T00:00:00") == 2);  // no zone
    CHECK(err("enqueue echo --in -5s") == 2);
    CHECK(err("schedule add echo --at 2020-01-01T00:00:00Z") == 2);
    msg.clear();
    CHECK(err("schedule show no-such-schedule", &msg) == 3);
    CHECK(msg.find("schedule 'no-such-schedule' not found") != std::string::npos);
    CHECK(err("schedule pause no-such-schedule") == 3);
    CHECK(err("schedule resume no-such-schedule") == 3);
    CHECK(err("schedule cancel no-such-schedule") == 3);
    CHECK(err("schedule modify no-such-schedule --every 1s") == 3);
    CHECK(ScheduleStore(c).list().empty());  // nothing stored by any of them
    CHECK(stored_ids(c, c.queue.default_queue).empty());
}

TEST_CASE("scheduler cli: naq enqueue --in runs through naq scheduler and naq worker", "[scheduler][cli]") {
    Config c = test::test_config();
    auto spawn = [&](const std::string& args) {
        pid_t pid = ::fork();
        if (pid == 0) {
            std::string cmd = "exec " + naq_cmd(c, args);
            ::execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
            ::_exit(127);
        }
        return pid;
    };
    pid_t scheduler = spawn("scheduler");
    pid_t worker = spawn("worker delayed");
    std::string id;
    REQUIRE(test::run_command(naq_cmd(c, "enqueue echo --queue delayed --in 500ms --arg greeting=later"), &id) == 0);
    id.erase(id.find_last_not_of('\n') + 1);
    std::string out;
    CHECK(test::run_command(naq_cmd(c, "result " + id + " --wait --timeout 20"), &out) == 0);
    CHECK(out.find("later") != std::string::npos);
    for (pid_t pid : {scheduler, worker}) {
        ::kill(pid, SIGTERM);
        int status = 0;
        ::waitpid(pid, &status, 0);
        CHECK(WIFEXITED(status));
        CHECK(WEXITSTATUS(status) == 0);
    }
}

TEST_CASE("scheduler: its own lease record, written late after an outage, is taken back at once", "[scheduler]") {
    Config c = test::test_config();
    // After an outage a lease write of ours that timed out can still reach the server: the
    // record then names us, not released, though we stepped down. It is ours to take back, not
    // another leader's to wait out (a whole lock_ttl without firing).
    LeaseRecord late;
    late.holder = "sched-a";
    late.pid = 1;
    late.since_ms = now_ms();
    late.renewed_ms = now_ms();
    kv_store(Bucket::scheduler_lock, c).put(kLeaseKey, encode_lease(late));

    LeaderLease other(c, "sched-b");
    CHECK_FALSE(other.tick());  // someone else's record: wait
    LeaderLease ours(c, "sched-a");
    CHECK(ours.tick());  // our own: take it back now
    CHECK(ours.held());
    CHECK_FALSE(other.tick());
}
