// Every kind of hostile message at once, interleaved with 1,000 good jobs on one queue: every
// good job succeeds, every bad one is dead-lettered exactly once (or, a result too big to keep,
// succeeds with a note), nothing is delivered twice and the worker keeps running.
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <map>

#include "core/byte_text.hpp"
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

std::string envelope(const std::string& id, const std::string& task, const std::string& rest = "") {
    return R"({"v":1,"id":")" + id + R"(","task":")" + task + "\"" + rest + "}";
}

struct Hostile {
    std::string body;
    std::string reason;  ///< the dead letter's reason; empty: it succeeds
};

std::vector<Hostile> hostile_messages(std::size_t max_payload) {
    const std::string near_max(max_payload - 200, 'x');  // fits as a job, not with a record around it
    const std::string invalid_utf8 = "\xff\xfe{\"id\":";
    return {
        // Too deep: a stack overflow in every worker that touched it, before.
        {envelope("deep", "echo", ",\"args\":" + std::string(100'000, '[') + std::string(100'000, ']')), "undecodable"},
        // Ids and queues that would become subject tokens or KV keys.
        {envelope(std::string(4096, 'a'), "echo"), "undecodable"},
        {envelope("a b", "echo"), "undecodable"},
        {envelope("*", "echo"), "undecodable"},
        {envelope(">", "echo"), "undecodable"},
        {envelope("..", "echo"), "undecodable"},
        {envelope("", "echo"), "undecodable"},
        {envelope("q1", "echo", R"(,"queue":"a b")"), "undecodable"},
        {envelope("q2", "echo", R"(,"queue":"x.>")"), "undecodable"},
        {envelope("d1", "echo", R"(,"options":{"depends_on":["a.*.>"]})"), "undecodable"},
        // Not a job at all.
        {"{not json", "undecodable"},
        {invalid_utf8, "undecodable"},
        {envelope("u1", "echo", ",\"args\":\"\xff\""), "undecodable"},
        {"[1,2]", "undecodable"},
        {"null", "undecodable"},
        {"", "undecodable"},
        {R"({"v":1,"id":"t1","task":42})", "undecodable"},
        {R"({"v":1,"id":"t2"})", "undecodable"},
        {envelope("t3", "esc\\u001b[2Jape"), "undecodable"},
        {envelope("t4", std::string(300, 't')), "undecodable"},
        // Options past their limits (narrowed or overflowed before).
        {envelope("o1", "echo", R"(,"options":{"max_attempts":4294967297})"), "undecodable"},
        {envelope("o2", "echo", R"(,"options":{"timeout_ms":9000000000000000000})"), "undecodable"},
        // Near max_payload: the dead letter or result cannot hold it whole.
        {envelope("big-unknown", "no_such_task", ",\"args\":{\"blob\":\"" + near_max + "\"}"), "unknown_task"},
        {envelope("big-fail", "fail", ",\"args\":{\"blob\":\"" + near_max + "\"}"), "failed"},
        {envelope("big-echo", "echo", ",\"args\":{\"blob\":\"" + near_max + "\"}"), ""},
        // A handler whose error is twice max_payload.
        {envelope("big-error", "big_error"), "failed"},
    };
}

double metric_value(const std::string& series) {
    const std::string text = metrics::registry().render();
    const auto at = text.find(series + " ");
    return at == std::string::npos ? 0.0 : std::stod(text.substr(at + series.size() + 1));
}

}  // namespace

TEST_CASE("hostile: every bad message among 1,000 good jobs is dead-lettered once, every good job succeeds",
          "[hostile]") {
    Config c = test::test_config();
    c.worker.max_deliveries = 3;  // a loop, were there one, would end quickly, and show
    test::QueueWithWorker mix("hostmix", c);
    const auto max_payload = static_cast<std::size_t>(connection(c).max_payload());
    std::map<std::string, std::atomic<int>> runs;
    for (const char* id : {"big-fail", "big-error"}) runs[id] = 0;
    mix.tasks.add_builtins(false);
    mix.tasks.add("fail", [&runs](JobContext& ctx, const Json&) -> Json {
        ++runs.at(ctx.job_id());
        throw std::runtime_error("always fails");
    });
    mix.tasks.add("big_error", [&runs, max_payload](JobContext& ctx, const Json&) -> Json {
        ++runs.at(ctx.job_id());
        throw std::runtime_error(std::string(2 * max_payload, 'e'));
    });
    const std::vector<Hostile> bad = hostile_messages(max_payload);

    // Interleaved: a bad message after every 1000 / |bad| good jobs.
    auto js = jetstream(c);
    const std::string subject = names::queue_subject(c, "hostmix");
    std::vector<std::string> good;
    std::size_t next_bad = 0;
    for (int i = 0; i < 1000; ++i) {
        good.push_back(mix.enqueue("echo", {{"i", i}}));
        if (i % (1000 / bad.size()) == 0 && next_bad < bad.size()) js.publish(subject, bad[next_bad++].body);
    }
    while (next_bad < bad.size()) js.publish(subject, bad[next_bad++].body);
    // "big-echo" runs like an ordinary job: its record gets a note instead of its result.
    const auto expected_dead = static_cast<std::size_t>(
        std::count_if(bad.begin(), bad.end(), [](const Hostile& h) { return !h.reason.empty(); }));

    Worker& w = mix.start_worker({.concurrency = 8});
    for (const auto& id : good) REQUIRE(mix.wait_result(id, 30s).ok);
    DeadLetters dead(c);
    REQUIRE(test::eventually([&] { return dead.list("hostmix").size() == expected_dead; }, 30s));
    CHECK(test::eventually([&] { return mix.queue.counts().stored == 0; }, 10s));

    // Each bad message has the dead letter its kind calls for.
    std::map<std::string, int> reasons;
    for (const auto& d : dead.list("hostmix")) ++reasons[d.reason];
    std::map<std::string, int> expected_reasons;
    for (const auto& h : bad) {
        if (!h.reason.empty()) ++expected_reasons[h.reason];
    }
    CHECK(reasons == expected_reasons);
    // The near-max_payload ones fit by dropping their args, and say so; the huge error is cut.
    int base64_kept = 0;
    for (const auto& d : dead.list("hostmix")) {
        if (d.id == "big-unknown" || d.id == "big-fail") {
            REQUIRE(d.record.contains("args_dropped"));
            CHECK(d.record.at("args_dropped").get<std::size_t>() > max_payload - 4096);
        }
        if (d.id == "big-error") CHECK_THAT(d.error, Catch::Contains("bytes, cut)"));
        if (d.record.contains("raw_base64")) {  // bytes that are not UTF-8, kept exactly
            auto bytes = detail::base64_decode(d.record["raw_base64"].get<std::string>());
            REQUIRE(bytes);
            CHECK(std::any_of(bad.begin(), bad.end(), [&](const Hostile& h) { return h.body == *bytes; }));
            ++base64_kept;
        }
    }
    CHECK(base64_kept == 2);
    JobResult big_echo = mix.wait_result("big-echo", 10s);
    CHECK(big_echo.ok);
    CHECK(big_echo.result.contains("naq_result_dropped"));

    // Nothing ran or was delivered twice: every message was settled at its first delivery.
    for (const auto& [id, n] : runs) CHECK(n.load() == 1);
    CHECK(metric_value("naq_jobs_fetched_total{queue=\"hostmix\"}") == 1000 + bad.size());
    CHECK(w.stats().dead == expected_dead);
    // Still serving.
    CHECK(mix.wait_result(mix.enqueue("echo", {{"after", true}}), 10s).ok);
}
