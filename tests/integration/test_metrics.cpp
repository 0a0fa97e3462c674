// Prometheus /metrics scraped over HTTP while a worker runs jobs: the values move.
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "devserver/net_probe.hpp"
#include "naq/local_server.hpp"
#include "naq/metrics.hpp"
#include "naq/queue.hpp"
#include "naq/results.hpp"
#include "support/test_env.hpp"

using namespace naq;
using namespace std::chrono_literals;
using test::naq_cmd;

namespace {

// The value of one series in a scrape, or -1 when it is absent.
double sample(const std::string& text, const std::string& series) {
    auto pos = text.find("\n" + series + " ");
    if (pos == std::string::npos) return -1;
    return std::stod(text.substr(pos + series.size() + 2));
}

}  // namespace

TEST_CASE("metrics: a scrape shows job counters, durations and fetches moving", "[metrics]") {
    test::QueueWithWorker mjobs("mjobs");
    mjobs.tasks.add_builtins(false);
    metrics::MetricsServer server(0, "127.0.0.1");
    const std::string ok = "{queue=\"mjobs\",task=\"echo\"}";
    const std::string bad = "{queue=\"mjobs\",task=\"fail\"}";
    std::string before = http_get(server.port(), "/metrics");
    CHECK(sample(before, "naq_jobs_succeeded_total" + ok) == -1);

    mjobs.start_worker({.concurrency = 2});
    for (int i = 0; i < 3; ++i) mjobs.wait_result(mjobs.enqueue("echo"));
    EnqueueOptions retry_once;
    retry_once.max_attempts = 2;
    retry_once.backoff = Backoff{BackoffKind::fixed, 0ms, 0ms, false};
    mjobs.wait_result(mjobs.enqueue("fail", {{"message", "nope"}}, retry_once));

    std::string text;
    REQUIRE(test::eventually([&] {
        text = http_get(server.port(), "/metrics");
        return sample(text, "naq_jobs_dead_total" + bad) == 1;
    }));
    CHECK(sample(text, "naq_jobs_succeeded_total" + ok) == 3);
    CHECK(sample(text, "naq_jobs_processed_total" + ok) == 3);
    CHECK(sample(text, "naq_jobs_failed_total" + bad) == 2);
    CHECK(sample(text, "naq_jobs_retried_total" + bad) == 1);
    CHECK(sample(text, "naq_job_duration_seconds_count" + ok) == 3);
    CHECK(sample(text, "naq_job_wait_seconds_count" + ok) == 3);
    CHECK(sample(text, "naq_job_wait_seconds_count" + bad) == 1);  // first attempts only
    CHECK(sample(text, "naq_job_duration_seconds_bucket{queue=\"mjobs\",task=\"echo\",le=\"+Inf\"}") == 3);
    CHECK(sample(text, "naq_jobs_in_flight{queue=\"mjobs\"}") == 0);
    CHECK(sample(text, "naq_fetch_duration_seconds_count{queue=\"mjobs\"}") >= 1);
    CHECK(sample(text, "naq_jobs_fetched_total{queue=\"mjobs\"}") >= 4);
    CHECK(sample(text, "naq_nats_reconnects_total") >= 0);
    CHECK(text.find("# TYPE naq_job_duration_seconds histogram") != std::string::npos);

    mjobs.wait_result(mjobs.enqueue("echo"));
    REQUIRE(test::eventually(
        [&] { return sample(http_get(server.port(), "/metrics"), "naq_jobs_succeeded_total" + ok) == 4; }));
}

TEST_CASE("metrics: the scheduler's lateness is recorded for its scrape", "[metrics]") {
    metrics::MetricsServer server(0, "127.0.0.1");
    std::string before = http_get(server.port(), "/metrics");
    double count = std::max(0.0, sample(before, "naq_scheduler_lateness_seconds_count"));
    double fired = std::max(0.0, sample(before, "naq_schedules_fired_total{queue=\"mlate\"}"));
    metrics::record_schedule_fired("mlate", 40ms);
    std::string after = http_get(server.port(), "/metrics");
    CHECK(sample(after, "naq_scheduler_lateness_seconds_count") == count + 1);
    CHECK(sample(after, "naq_schedules_fired_total{queue=\"mlate\"}") == fired + 1);
}

TEST_CASE("metrics: naq worker --metrics-port serves /metrics", "[metrics][cli]") {
    Config c = test::test_config();
    int port = free_port();
    test::ChildProcess process(naq_cmd(c, "worker mcli --metrics-port " + std::to_string(port)));
    REQUIRE(test::eventually([&] { return !http_get(port, "/metrics").empty(); }, 20s));
    std::string out;
    REQUIRE(test::run_command(naq_cmd(c, "enqueue echo --queue mcli --wait --timeout 20"), &out) == 0);
    REQUIRE(test::eventually([&] {
        return sample(http_get(port, "/metrics"), "naq_jobs_succeeded_total{queue=\"mcli\",task=\"echo\"}") == 1;
    }));
}

TEST_CASE("metrics: naq scheduler --metrics-port serves its firing lateness", "[metrics][cli]") {
    Config c = test::test_config();
    int port = free_port();
    test::ChildProcess process(naq_cmd(c, "scheduler --metrics-port " + std::to_string(port)));
    REQUIRE(test::run_command(naq_cmd(c, "enqueue echo --queue mlate_cli --in 1s > /dev/null")) == 0);
    REQUIRE(test::eventually(
        [&] { return sample(http_get(port, "/metrics"), "naq_schedules_fired_total{queue=\"mlate_cli\"}") == 1; },
        20s));
    CHECK(sample(http_get(port, "/metrics"), "naq_scheduler_lateness_seconds_count") >= 1);
}
