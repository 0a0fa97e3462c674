// RecordBreaker: when the server stores no records the worker pauses fetching, once per outage
// (not once per record in flight), then probes with one job, doubling the pause per failed probe.
#include <catch2/catch.hpp>

#include <chrono>
#include <vector>

#include "worker/record_breaker.hpp"

using namespace naq;
using namespace std::chrono_literals;

namespace {

int64_t fake_now = 0;
int64_t fake_clock() { return fake_now; }
void advance(Millis by) { fake_now += std::chrono::duration_cast<std::chrono::nanoseconds>(by).count(); }

}  // namespace

TEST_CASE("record breaker: closed until a record is refused, then open for 1 s", "[unit][worker]") {
    RecordBreaker b(fake_clock);
    CHECK_FALSE(b.probing());
    CHECK(b.open_for() <= 0ms);
    b.sent();
    b.stored();  // closed stays closed
    CHECK_FALSE(b.probing());
    CHECK(b.awaiting() == 0);

    b.sent();
    CHECK(b.awaiting() == 1);
    CHECK(b.refused() == 1000ms);
    CHECK(b.awaiting() == 0);
    CHECK(b.probing());
    CHECK(b.open_for() == 1000ms);
    advance(999ms);
    CHECK(b.open_for() == 1ms);
    advance(1ms);
    CHECK(b.open_for() <= 0ms);
    CHECK(b.probing());  // no record stored yet: one job at a time
}

TEST_CASE("record breaker: a probe waits for the records awaiting an answer, but not forever", "[unit][worker]") {
    RecordBreaker b(fake_clock);
    b.sent();
    b.sent();
    CHECK(b.refused() == 1000ms);
    advance(1000ms);
    CHECK_FALSE(b.may_probe(10s));  // one record still awaits its answer
    advance(8999ms);
    CHECK_FALSE(b.may_probe(10s));
    advance(1ms);
    CHECK(b.may_probe(10s));  // its answer never came: probe anyway
    b.refused();
    CHECK(b.awaiting() == 0);
    CHECK(b.may_probe(10s));
}

TEST_CASE("record breaker: refusals while open are one outage and do not lengthen the pause", "[unit][worker]") {
    RecordBreaker b(fake_clock);
    for (int i = 0; i < 60; ++i) b.sent();
    CHECK(b.refused() == 1000ms);
    advance(500ms);
    for (int i = 1; i < 60; ++i) CHECK(b.refused() == 0ms);  // every pipelined record of one leader kill
    CHECK(b.open_for() == 500ms);
    CHECK(b.awaiting() == 0);
}

TEST_CASE("record breaker: each refusal after a pause doubles the next, up to 10 s, and a stored record closes it",
          "[unit][worker]") {
    RecordBreaker b(fake_clock);
    std::vector<Millis> pauses;
    for (int i = 0; i < 7; ++i) {
        b.sent();
        Millis pause = b.refused();
        pauses.push_back(pause);
        advance(pause);  // the probe after the pause is refused too
    }
    CHECK(pauses ==
          std::vector<Millis>{1000ms, 2000ms, 4000ms, 8000ms, kMaxFetchPause, kMaxFetchPause, kMaxFetchPause});

    b.sent();
    b.stored();
    CHECK_FALSE(b.probing());
    CHECK(b.open_for() <= 0ms);
    b.sent();
    b.sent();
    CHECK(b.refused() == 1000ms);  // a new outage starts over
    b.stored();                    // a record in flight before it was stored after all: closed at once
    CHECK_FALSE(b.probing());
    CHECK(b.open_for() <= 0ms);
    CHECK(b.awaiting() == 0);
}
