// Schedules without a server: the JSON codec, validation, next runs, repeat counting, the
// missed-run policy, fire job ids and ISO 8601 times.
#include <catch2/catch.hpp>

#include "naq/errors.hpp"
#include "naq/schedule.hpp"
#include "scheduler/fire_plan.hpp"
#include "scheduler/leader_lease.hpp"

using namespace naq;
using namespace std::chrono_literals;

namespace {

constexpr int64_t kT0 = 1'767'225'600'000;  // 2026-01-01T00:00:00Z

Schedule every(Millis interval, int64_t next_run = kT0) {
    Schedule s;
    s.id = "sched-1";
    s.queue = "q";
    s.task = "echo";
    s.kind = ScheduleKind::interval;
    s.interval = interval;
    s.next_run_ms = next_run;
    return s;
}

Schedule cron(const std::string& expr, const std::string& tz = "UTC", int64_t next_run = kT0) {
    Schedule s = every(0ms, next_run);
    s.kind = ScheduleKind::cron;
    s.interval = 0ms;
    s.cron = expr;
    s.tz = tz;
    return s;
}

Schedule once(int64_t at) {
    Schedule s = every(0ms, at);
    s.kind = ScheduleKind::once;
    s.interval = 0ms;
    return s;
}

int64_t ms(std::string_view iso) {
    return std::chrono::duration_cast<Millis>(parse_iso8601(iso).time_since_epoch()).count();
}

}  // namespace

TEST_CASE("schedule codec: every field round-trips with v 1", "[schedule][codec]") {
    Schedule s = cron("*/5 * * * *", "Europe/Berlin");
    s.args = {{"to", "a@b.c"}, {"n", 3}};
    s.options.max_attempts = 4;
    s.options.timeout = 30s;
    s.options.backoff = Backoff{BackoffKind::linear, 500ms, 10s, false};
    s.options.result_ttl = 1h;
    s.options.depends_on = {"dep-1"};
    s.repeat = 10;
    s.remaining = 7;
    s.paused = true;
    s.fired = 3;
    s.last_fired_ms = kT0 - 300'000;
    s.failures = 2;
    s.last_error = "stream full";
    s.created_at_ms = kT0 - 1000;
    s.updated_at_ms = kT0 - 500;

    Json j = codec::to_json(s);
    CHECK(j["v"] == 1);
    CHECK(j["kind"] == "cron");
    CHECK(j["tz"] == "Europe/Berlin");
    CHECK(j["next_run"] == kT0);
    CHECK(j["options"]["max_attempts"] == 4);
    CHECK_FALSE(j.contains("interval_ms"));

    Schedule d = codec::decode_schedule(codec::encode(s));
    CHECK(d.id == s.id);
    CHECK(d.queue == "q");
    CHECK(d.task == "echo");
    CHECK(d.args == s.args);
    CHECK(d.kind == ScheduleKind::cron);
    CHECK(d.cron == "*/5 * * * *");
    CHECK(d.tz == "Europe/Berlin");
    CHECK(d.next_run_ms == kT0);
    CHECK(d.repeat == 10);
    CHECK(d.remaining == 7);
    CHECK(d.paused);
    CHECK(d.fired == 3);
    CHECK(d.last_fired_ms == s.last_fired_ms);
    CHECK(d.failures == 2);
    CHECK(d.last_error == "stream full");
    CHECK(d.created_at_ms == s.created_at_ms);
    CHECK(d.updated_at_ms == s.updated_at_ms);
    CHECK(d.options.max_attempts == 4);
    CHECK(d.options.timeout == 30s);
    REQUIRE(d.options.backoff.has_value());
    CHECK(d.options.backoff->kind == BackoffKind::linear);
    CHECK(d.options.backoff->base == 500ms);
    CHECK_FALSE(d.options.backoff->jitter);
    CHECK(d.options.result_ttl == 1h);
    CHECK(d.options.depends_on == std::vector<std::string>{"dep-1"});

    Schedule i = codec::decode_schedule(codec::encode(every(30s)));
    CHECK(i.kind == ScheduleKind::interval);
    CHECK(i.interval == 30s);
    CHECK_FALSE(i.repeat.has_value());
    CHECK_FALSE(i.options.max_attempts.has_value());  // unset options stay unset: the firing config decides
}

TEST_CASE("schedule codec: bad records name the field", "[schedule][codec]") {
    auto error_of = [](const std::string& text) {
        try {
            codec::decode_schedule(text);
        } catch (const SerializationError& e) {
            return std::string(e.what());
        }
        return std::string("no error");
    };
    CHECK(error_of("{nope") == "schedule: not valid JSON");
    CHECK(error_of("[1]") == "schedule: expected a JSON object");
    CHECK(error_of(R"({"queue":"q","task":"t","kind":"once","next_run":1})") == "schedule: field 'id' is missing");
    CHECK(error_of(R"({"id":"a","queue":"q","task":"t","kind":"weekly","next_run":1})") ==
          "schedule: field 'kind' must be once, interval or cron");
    CHECK(error_of(R"({"id":"a","queue":"q","task":"t","kind":"interval","next_run":1})") ==
          "schedule: field 'interval_ms' is missing");
    CHECK(error_of(R"({"id":"a","queue":"q","task":"t","kind":"once","next_run":"soon"})") ==
          "schedule: field 'next_run' must be an integer");
    CHECK(error_of(R"({"id":"a","queue":"q","task":"t","kind":"once","next_run":1,"repeat":0})") ==
          "schedule: field 'repeat' must be at least 1 or null");
    CHECK(error_of(R"({"id":"a","queue":"q","task":"t","kind":"once","next_run":1,"options":{"max_attempts":0}})") ==
          "schedule options: field 'max_attempts' must be from 1 to 1000000");
    CHECK(error_of(R"({"v":2,"id":"a","queue":"q","task":"t","kind":"once","next_run":1})").find("'v'") !=
          std::string::npos);
    // Times past what a clock holds (the fuzzer's schedule with next_run in the year 13,000).
    CHECK(
        error_of(R"({"id":"a","queue":"q","task":"t","kind":"cron","cron":"0 9 * * *","next_run":351763971200000})") ==
        "schedule: field 'next_run' must be a time from 1970 to 2200");
    CHECK(error_of(R"({"id":"a","queue":"q","task":"t","kind":"once","next_run":-5})") ==
          "schedule: field 'next_run' must be a time from 1970 to 2200");
    CHECK(
        error_of(
            R"({"id":"a","queue":"q","task":"t","kind":"interval","interval_ms":9223372036854775807,"next_run":1})") ==
        "schedule: field 'interval_ms' must be positive and at most 230 years");
    // Unknown fields are ignored.
    CHECK(codec::decode_schedule(R"({"id":"a","queue":"q","task":"t","kind":"once","next_run":5,"x":1})").next_run_ms ==
          5);
}

TEST_CASE("schedule: validation refuses bad schedules with a clear reason", "[schedule]") {
    CHECK_NOTHROW(validate(every(1s)));
    CHECK_THROWS_WITH(validate(every(50ms)), Catch::Contains("too short"));
    CHECK_THROWS_WITH(validate(cron("61 * * * *")), Catch::Contains("minute: 61 is out of range"));
    CHECK_THROWS_WITH(validate(cron("* * * * *", "Mars/Olympus")), Catch::Contains("unknown time zone"));
    Schedule bad_id = every(1s);
    bad_id.id = "has:colon";
    CHECK_THROWS_AS(validate(bad_id), InvalidArgument);
    bad_id.id = std::string(101, 'a');
    CHECK_THROWS_AS(validate(bad_id), InvalidArgument);
    Schedule bad_queue = every(1s);
    bad_queue.queue = "a.b";
    CHECK_THROWS_AS(validate(bad_queue), InvalidArgument);
    Schedule no_task = every(1s);
    no_task.task.clear();
    CHECK_THROWS_AS(validate(no_task), InvalidArgument);
    Schedule zero_repeat = every(1s);
    zero_repeat.repeat = 0;
    CHECK_THROWS_AS(validate(zero_repeat), InvalidArgument);
    CHECK_THROWS_AS(validate(once(0)), InvalidArgument);
}

TEST_CASE("schedule: next runs keep the interval's phase and follow cron in its zone", "[schedule]") {
    Schedule s = every(30s);
    CHECK(next_run_after(s, kT0) == kT0 + 30'000);
    CHECK(first_run_after(s, kT0 - 1) == kT0);                 // not yet due: the stored next run
    CHECK(first_run_after(s, kT0) == kT0 + 30'000);            // strictly after now
    CHECK(first_run_after(s, kT0 + 95'000) == kT0 + 120'000);  // phase kept: T0 + k * 30 s

    Schedule c = cron("0 9 * * MON", "Europe/Berlin");
    // 2026-01-01 is a Thursday; the next Monday 09:00 in Berlin (CET, UTC+1) is Jan 5, 08:00Z.
    CHECK(next_run_after(c, kT0) == ms("2026-01-05T08:00:00Z"));
    CHECK(first_run_after(c, ms("2026-01-05T08:00:00Z")) == ms("2026-01-12T08:00:00Z"));
    Schedule secs = cron("*/10 * * * * *");
    CHECK(next_run_after(secs, kT0) == kT0 + 10'000);

    CHECK_FALSE(next_run_after(once(kT0), kT0).has_value());
    CHECK_FALSE(next_run_after(cron("0 0 30 2 *"), kT0).has_value());
}

TEST_CASE("schedule: a schedule has no run after 2200", "[schedule]") {
    Schedule s;
    s.kind = ScheduleKind::interval;
    s.interval = Millis(86'400'000);
    CHECK(next_run_after(s, kLatestTimeMs - 1000) == std::nullopt);
    CHECK(next_run_after(s, 1000) == std::optional<int64_t>(86'401'000));
    s.kind = ScheduleKind::cron;
    s.cron = "0 9 * * *";
    CHECK(next_run_after(s, kLatestTimeMs) == std::nullopt);
}

TEST_CASE("schedule: fire job ids are the schedule id for a delayed job, id_<due ms> otherwise", "[schedule]") {
    CHECK(fire_job_id(once(kT0), kT0) == "sched-1");
    CHECK(fire_job_id(every(1s), kT0) == "sched-1_1767225600000");
    CHECK(fire_job_id(cron("* * * * *"), kT0 + 60'000) == "sched-1_1767225660000");
}

TEST_CASE("schedule plan: an on-time run fires and advances, repeat counts down to done", "[schedule]") {
    Schedule s = every(1s);
    s.repeat = 3;
    s.remaining = 3;
    int fired = 0;
    int64_t now = kT0 + 5;  // 5 ms late
    std::vector<std::string> ids;
    while (true) {
        FirePlan p = plan_fire(s, now, MissedRuns::once, 60s);
        REQUIRE(p.fire);
        CHECK_FALSE(p.missed);
        CHECK(p.due_ms == s.next_run_ms);
        ids.push_back(fire_job_id(s, p.due_ms));
        ++fired;
        if (p.done) break;
        CHECK(p.next.next_run_ms == s.next_run_ms + 1000);
        s = p.next;
        now = s.next_run_ms + 5;
    }
    CHECK(fired == 3);
    CHECK(ids == std::vector<std::string>{"sched-1_1767225600000", "sched-1_1767225601000", "sched-1_1767225602000"});
    CHECK(s.fired == 2);  // the record before the last run
}

TEST_CASE("schedule plan: a backlog within the catch-up window fires run by run", "[schedule]") {
    Schedule s = every(1s);
    int64_t now = kT0 + 4'500;  // a 4.5 s failover gap: runs at T0 .. T0+4s are due
    std::vector<int64_t> dues;
    while (s.next_run_ms <= now) {
        FirePlan p = plan_fire(s, now, MissedRuns::skip, 60s);
        REQUIRE(p.fire);  // skip does not apply inside the window: nothing of a failover is lost
        CHECK_FALSE(p.missed);
        dues.push_back(p.due_ms);
        s = p.next;
    }
    CHECK(dues == std::vector<int64_t>{kT0, kT0 + 1000, kT0 + 2000, kT0 + 3000, kT0 + 4000});
    CHECK(s.next_run_ms == kT0 + 5000);
    CHECK(s.fired == 5);
}

TEST_CASE("schedule plan: missed runs older than the window — once fires one, skip none", "[schedule]") {
    Schedule s = every(1min);
    s.repeat = 100;
    s.remaining = 100;
    int64_t now = kT0 + 10 * 60'000 + 30'000;  // down 10.5 minutes: 11 runs due

    FirePlan once_plan = plan_fire(s, now, MissedRuns::once, 60s);
    CHECK(once_plan.fire);
    CHECK(once_plan.missed);
    CHECK(once_plan.due_ms == kT0);  // deterministic id: every scheduler picks the same run
    CHECK(once_plan.skipped == 10);
    CHECK(once_plan.next.next_run_ms == kT0 + 11 * 60'000);  // first run after now, phase kept
    CHECK(once_plan.next.remaining == 99);
    CHECK(once_plan.next.fired == 1);
    CHECK_FALSE(once_plan.done);

    FirePlan skip_plan = plan_fire(s, now, MissedRuns::skip, 60s);
    CHECK_FALSE(skip_plan.fire);
    CHECK(skip_plan.missed);
    CHECK(skip_plan.skipped == 11);
    CHECK(skip_plan.next.next_run_ms == kT0 + 11 * 60'000);
    CHECK(skip_plan.next.remaining == 100);  // repeat counts runs fired, not runs skipped
    CHECK(skip_plan.next.fired == 0);

    Schedule c = cron("0 * * * *");  // hourly, down 5 hours
    FirePlan cron_plan = plan_fire(c, kT0 + 5 * 3'600'000 + 1, MissedRuns::once, 60s);
    CHECK(cron_plan.fire);
    CHECK(cron_plan.skipped == 5);
    CHECK(cron_plan.next.next_run_ms == kT0 + 6 * 3'600'000);
}

TEST_CASE("schedule plan: a delayed job always fires once, however late, then is done", "[schedule]") {
    for (MissedRuns policy : {MissedRuns::once, MissedRuns::skip}) {
        FirePlan p = plan_fire(once(kT0), kT0 + 3'600'000, policy, 60s);
        CHECK(p.fire);
        CHECK(p.missed);
        CHECK(p.done);
        CHECK(p.due_ms == kT0);
    }
    FirePlan on_time = plan_fire(once(kT0), kT0 + 2, MissedRuns::skip, 60s);
    CHECK(on_time.fire);
    CHECK_FALSE(on_time.missed);
    CHECK(on_time.done);
}

TEST_CASE("schedule plan: the last run of a repeat is done", "[schedule]") {
    Schedule c = cron("0 0 1 1 *");  // yearly, with one run left
    c.repeat = 1;
    c.remaining = 1;
    FirePlan p = plan_fire(c, kT0, MissedRuns::once, 60s);
    CHECK(p.fire);
    CHECK(p.done);
    CHECK(p.next.remaining == 0);
}

TEST_CASE("schedule: missed-runs policy names", "[schedule]") {
    CHECK(missed_runs_from_string("once") == MissedRuns::once);
    CHECK(missed_runs_from_string("skip") == MissedRuns::skip);
    CHECK_THROWS_AS(missed_runs_from_string("all"), InvalidArgument);
}

TEST_CASE("schedule: describe", "[schedule]") {
    CHECK(describe(every(90s)) == "every 90s");
    CHECK(describe(cron("*/5 * * * *")) == "cron */5 * * * *");
    CHECK(describe(cron("0 9 * * MON", "Europe/Berlin")) == "cron 0 9 * * MON (Europe/Berlin)");
    CHECK(describe(once(kT0 + 250)) == "once at 2026-01-01T00:00:00.250Z");
}

TEST_CASE("schedule: ISO 8601 times with Z or an offset", "[schedule]") {
    CHECK(ms("2026-01-01T00:00:00Z") == kT0);
    CHECK(ms("2026-01-01T01:00:00+01:00") == kT0);
    CHECK(ms("2025-12-31T19:00:00-0500") == kT0);
    CHECK(ms("2026-01-01 00:00Z") == kT0);
    CHECK(ms("2026-01-01T00:00:00.25Z") == kT0 + 250);
    CHECK(ms("2026-01-01T00:00:01,5z") == kT0 + 1500);
    CHECK_THROWS_WITH(parse_iso8601("2026-01-01T00:00:00"), Catch::Contains("no time zone"));
    CHECK_THROWS_WITH(parse_iso8601("2026-02-30T00:00:00Z"), Catch::Contains("not a calendar date"));
    CHECK_THROWS_WITH(parse_iso8601("1026-11-23T18:00:00Z"),
                      Catch::Contains("year outside 1970-2200"));  // fuzz regression
    CHECK_THROWS_WITH(parse_iso8601("9999-12-31T23:59:59Z"), Catch::Contains("year outside 1970-2200"));
    CHECK_THROWS_WITH(parse_iso8601("2026-01-01T24:00:00Z"), Catch::Contains("invalid time of day"));
    CHECK_THROWS_AS(parse_iso8601("tomorrow"), InvalidArgument);
    CHECK_THROWS_AS(parse_iso8601("2026-01-01"), InvalidArgument);
    CHECK_THROWS_AS(parse_iso8601("2026-01-01T00:00:00Zjunk"), InvalidArgument);
}
