// Queue limits: the limits in the control record, their text forms, and the limits bucket's
// records (rate window, running-jobs claims), with what a reader makes of bad ones.
#include <catch2/catch.hpp>

#include "core/limit_records.hpp"
#include "naq/errors.hpp"
#include "naq/names.hpp"
#include "naq/queue_control.hpp"

using namespace naq;
using namespace std::chrono_literals;

TEST_CASE("queue limits: the control record carries them only when set, and round-trips", "[queue_limits]") {
    QueueControl c{.queue = "q"};
    Json plain = Json::parse(encode(c));
    CHECK_FALSE(plain.contains("rate"));
    CHECK_FALSE(plain.contains("concurrency"));

    c.limits = {.rate_max = 50, .rate_period = 2s, .concurrency = 3};
    Json j = Json::parse(encode(c));
    CHECK(j["rate"] == Json{{"max", 50}, {"period_ms", 2000}});
    CHECK(j["concurrency"] == 3);
    CHECK(decode_queue_control(encode(c)).limits == c.limits);
    CHECK(decode_queue_control(R"({"queue":"q","concurrency":7})").limits == QueueLimits{.concurrency = 7});
    // No rate limit has one form, whatever period a writer left next to a max of 0 (found by fuzzing).
    CHECK(decode_queue_control(R"({"queue":"q","rate":{"max":0,"period_ms":1636}})").limits == QueueLimits{});

    c.limits = {.tasks = {{"send sms", 2}, {"render", 5}}};
    CHECK(Json::parse(encode(c))["tasks"] == Json{{"render", 5}, {"send sms", 2}});
    CHECK(decode_queue_control(encode(c)).limits == c.limits);
    CHECK(c.limits.any());
    CHECK(names::task_running_key("q", "send sms") ==
          names::unique_claim_key("q", "send sms") + ".running");  // any task name makes a valid key
}

TEST_CASE("queue limits: out-of-range limits are refused, in records too", "[queue_limits][hostile]") {
    CHECK_NOTHROW(check_limits({}));
    CHECK_NOTHROW(check_limits({.rate_max = kMaxRateLimit, .rate_period = kMaxRatePeriod}));
    CHECK_NOTHROW(check_limits({.concurrency = kMaxConcurrencyLimit}));
    CHECK_THROWS_AS(check_limits({.rate_max = -1}), InvalidArgument);
    CHECK_THROWS_AS(check_limits({.rate_max = kMaxRateLimit + 1}), InvalidArgument);
    CHECK_THROWS_AS(check_limits({.rate_max = 1, .rate_period = 9ms}), InvalidArgument);
    CHECK_THROWS_AS(check_limits({.rate_max = 1, .rate_period = kMaxRatePeriod + 1ms}), InvalidArgument);
    CHECK_THROWS_AS(check_limits({.concurrency = -1}), InvalidArgument);
    CHECK_THROWS_AS(check_limits({.concurrency = kMaxConcurrencyLimit + 1}), InvalidArgument);
    CHECK_THROWS_WITH(check_limits({.rate_max = 5, .rate_period = 1ms}),
                      "rate limit period of 1ms: must be 10ms to 7d");
    CHECK_THROWS_AS(check_limits({.tasks = {{"t", 0}}}), InvalidArgument);
    CHECK_THROWS_AS(check_limits({.tasks = {{"", 1}}}), InvalidArgument);
    CHECK_THROWS_AS(check_limits({.tasks = {{std::string(257, 't'), 1}}}), InvalidArgument);
    QueueLimits many;
    for (int i = 0; i <= 100; ++i) many.tasks["t" + std::to_string(i)] = 1;
    CHECK_THROWS_AS(check_limits(many), InvalidArgument);

    for (const char* bad :
         {R"({"queue":"q","rate":5})", R"({"queue":"q","rate":{"max":5}})",
          R"({"queue":"q","rate":{"max":5,"period_ms":0}})", R"({"queue":"q","rate":{"max":-5,"period_ms":1000}})",
          R"({"queue":"q","concurrency":-2})", R"({"queue":"q","concurrency":1e300})",
          R"({"queue":"q","concurrency":99999999999999999})"}) {
        INFO(bad);
        CHECK_THROWS_AS(decode_queue_control(bad), SerializationError);
    }
}

TEST_CASE("queue limits: rates are read as jobs/period", "[queue_limits]") {
    auto rate = [](std::string_view text) -> std::optional<std::pair<int64_t, Millis>> {
        QueueLimits l;
        if (!parse_rate(text, l)) return std::nullopt;
        return std::pair{l.rate_max, l.rate_period};
    };
    CHECK(rate("50/s") == std::pair<int64_t, Millis>{50, 1s});
    CHECK(rate("50/1s") == std::pair<int64_t, Millis>{50, 1s});
    CHECK(rate("1000/1m") == std::pair<int64_t, Millis>{1000, 60s});
    CHECK(rate("5/250ms") == std::pair<int64_t, Millis>{5, 250ms});
    CHECK(rate("7/h") == std::pair<int64_t, Millis>{7, 3600s});
    for (const char* bad : {"", "50", "/s", "50/", "50/5", "x/s", "5x/s", "50/1x", "50//s", "-/s"}) {
        INFO(bad);
        CHECK_FALSE(rate(bad));
    }
    CHECK(rate_text({.rate_max = 50, .rate_period = 1s}) == "50/1s");
    CHECK(rate_text({.rate_max = 1000, .rate_period = 60s}) == "1000/1m");
    CHECK(rate_text({}).empty());
}

TEST_CASE("queue limits: the limits bucket's records round-trip and lapsed claims drop out", "[queue_limits]") {
    using namespace naq::detail;
    CHECK(names::rate_window_key("emails") == "emails.rate");
    CHECK(names::running_jobs_key("emails") == "emails.running");

    RateWindow w{.window_ms = 1'700'000'000'000, .used = 42};
    CHECK(Json::parse(encode(w)) == Json{{"v", 1}, {"w", 1'700'000'000'000}, {"n", 42}});
    RateWindow wb = decode_rate_window(encode(w));
    CHECK(wb.window_ms == w.window_ms);
    CHECK(wb.used == 42);

    RunningHolders r;
    r.holders["a"] = {2, 1000};
    r.holders["b"] = {3, 5000};
    r.holders["c"] = {1, 900};
    RunningHolders back = decode_running_holders(encode(r));
    REQUIRE(back.holders.size() == 3);
    CHECK(back.holders["b"].jobs == 3);
    CHECK(back.holders["b"].until_ms == 5000);
    CHECK(back.held_by_others("a", 950) == 3);  // c lapsed, a is the asker
    CHECK(back.held_by_others("x", 800) == 6);
    back.drop_lapsed(1000);  // "until" is exclusive: a lapses at 1000
    CHECK(back.holders.size() == 1);
    CHECK(back.holders.count("b") == 1);
}

TEST_CASE("queue limits: bad limits-bucket records are errors that name the field", "[queue_limits][hostile]") {
    using namespace naq::detail;
    for (const char* bad :
         {"", "[]", "{", R"({"w":1})", R"({"n":1})", R"({"w":"1","n":1})", R"({"w":1,"n":-1})", R"({"w":1,"n":1.5})"}) {
        INFO(bad);
        CHECK_THROWS_AS(decode_rate_window(bad), SerializationError);
    }
    for (const char* bad : {"{}", R"({"holders":[]})", R"({"holders":{"a":1}})", R"({"holders":{"a":{"n":1}}})",
                            R"({"holders":{"a":{"n":-1,"until":5}}})", R"({"holders":{"a":{"n":"1","until":5}}})"}) {
        INFO(bad);
        CHECK_THROWS_AS(decode_running_holders(bad), SerializationError);
    }
    CHECK_THROWS_WITH(decode_running_holders(R"({"holders":{"a":{"until":5}}})"),
                      "running jobs record: field 'n' is missing");
    std::string deep(100'000, '[');
    CHECK_THROWS_AS(decode_rate_window(deep), SerializationError);
    CHECK_THROWS_AS(decode_running_holders("{\"holders\":" + deep), SerializationError);
}
