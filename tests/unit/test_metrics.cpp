// The metrics registry's Prometheus text format, and the HTTP endpoint serving it.
#include <catch2/catch.hpp>

#include "devserver/net_probe.hpp"
#include "naq/errors.hpp"
#include "naq/local_server.hpp"
#include "naq/metrics.hpp"

using namespace naq;
using namespace naq::metrics;

TEST_CASE("metrics: counters and gauges render with HELP, TYPE and labels", "[metrics]") {
    Registry r;
    r.counter("naq_jobs_succeeded_total", "Jobs that succeeded", {{"queue", "emails"}, {"task", "send"}}).inc();
    r.counter("naq_jobs_succeeded_total", "Jobs that succeeded", {{"queue", "emails"}, {"task", "send"}}).inc(2);
    r.gauge("naq_jobs_in_flight", "Jobs running now", {{"queue", "emails"}}).set(4);
    r.gauge("naq_jobs_in_flight", "Jobs running now", {{"queue", "emails"}}).add(-1);
    r.counter("naq_plain_total", "No labels").inc(0.5);
    std::string text = r.render();
    CHECK(text.find("# HELP naq_jobs_succeeded_total Jobs that succeeded\n") != std::string::npos);
    CHECK(text.find("# TYPE naq_jobs_succeeded_total counter\n") != std::string::npos);
    CHECK(text.find("naq_jobs_succeeded_total{queue=\"emails\",task=\"send\"} 3\n") != std::string::npos);
    CHECK(text.find("# TYPE naq_jobs_in_flight gauge\n") != std::string::npos);
    CHECK(text.find("naq_jobs_in_flight{queue=\"emails\"} 3\n") != std::string::npos);
    CHECK(text.find("naq_plain_total 0.5\n") != std::string::npos);
    // Families are sorted by name.
    CHECK(text.find("naq_jobs_in_flight") < text.find("naq_jobs_succeeded_total"));
}

TEST_CASE("metrics: histograms have cumulative buckets, +Inf, sum and count", "[metrics]") {
    Registry r;
    auto& h = r.histogram("naq_job_duration_seconds", "Run time", {{"queue", "q"}}, {0.25, 1, 10});
    h.observe(0.125);
    h.observe(0.25);  // le is inclusive
    h.observe(0.5);
    h.observe(20);
    std::string text = r.render();
    CHECK(text.find("# TYPE naq_job_duration_seconds histogram\n") != std::string::npos);
    CHECK(text.find("naq_job_duration_seconds_bucket{queue=\"q\",le=\"0.25\"} 2\n") != std::string::npos);
    CHECK(text.find("naq_job_duration_seconds_bucket{queue=\"q\",le=\"1\"} 3\n") != std::string::npos);
    CHECK(text.find("naq_job_duration_seconds_bucket{queue=\"q\",le=\"10\"} 3\n") != std::string::npos);
    CHECK(text.find("naq_job_duration_seconds_bucket{queue=\"q\",le=\"+Inf\"} 4\n") != std::string::npos);
    CHECK(text.find("naq_job_duration_seconds_sum{queue=\"q\"} 20.875\n") != std::string::npos);
    CHECK(text.find("naq_job_duration_seconds_count{queue=\"q\"} 4\n") != std::string::npos);
    auto s = h.snapshot();
    CHECK(s.count == 4);
    CHECK(s.cumulative == std::vector<uint64_t>{2, 3, 3, 4});
}

TEST_CASE("metrics: label values and help text are escaped", "[metrics]") {
    Registry r;
    r.counter("naq_x_total", "line one\nback\\slash", {{"task", "a\"b\\c\nd"}}).inc();
    std::string text = r.render();
    CHECK(text.find("# HELP naq_x_total line one\\nback\\\\slash\n") != std::string::npos);
    CHECK(text.find("naq_x_total{task=\"a\\\"b\\\\c\\nd\"} 1\n") != std::string::npos);
}

TEST_CASE("metrics: bad names and kind clashes are refused", "[metrics]") {
    Registry r;
    r.counter("naq_a_total", "a");
    CHECK_THROWS_AS(r.gauge("naq_a_total", "a"), InvalidArgument);
    CHECK_THROWS_AS(r.counter("9bad", "x"), InvalidArgument);
    CHECK_THROWS_AS(r.counter("naq_b_total", "x", {{"bad-label", "v"}}), InvalidArgument);
    CHECK_THROWS_AS(r.histogram("naq_c", "x", {{"le", "1"}}), InvalidArgument);
}

TEST_CASE("metrics: hooks refresh mirrored values before each render", "[metrics]") {
    Registry r;
    auto& mirrored = r.counter("naq_mirrored_total", "from elsewhere");
    double source = 7;
    uint64_t hook = r.add_hook([&] { mirrored.set(source); });
    CHECK(r.render().find("naq_mirrored_total 7\n") != std::string::npos);
    source = 9;
    CHECK(r.render().find("naq_mirrored_total 9\n") != std::string::npos);
    r.remove_hook(hook);
    source = 11;
    CHECK(r.render().find("naq_mirrored_total 9\n") != std::string::npos);
}

TEST_CASE("metrics: the server answers GET /metrics with the registry's text", "[metrics]") {
    Registry r;
    auto& c = r.counter("naq_served_total", "served");
    MetricsServer server(0, "127.0.0.1", r);
    REQUIRE(server.port() > 0);
    CHECK(http_get(server.port(), "/metrics").find("naq_served_total 0\n") != std::string::npos);
    c.inc(5);
    CHECK(http_get(server.port(), "/metrics").find("naq_served_total 5\n") != std::string::npos);
    // A port in use is an error, not a silent no-op.
    CHECK_THROWS_AS(MetricsServer(server.port(), "127.0.0.1", r), Error);
}
