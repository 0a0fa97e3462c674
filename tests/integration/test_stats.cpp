// Queue statistics (`naq queues`, `naq top`) against a real nats-server.
#include <catch2/catch.hpp>

#include "naq/queue.hpp"
#include "naq/queue_stats.hpp"
#include "naq/results.hpp"
#include "support/test_env.hpp"

using namespace naq;
using namespace std::chrono_literals;
using test::naq_cmd;

namespace {

const QueueStats* find(const std::vector<QueueStats>& all, const std::string& queue) {
    for (const auto& s : all) {
        if (s.counts.queue == queue) return &s;
    }
    return nullptr;
}

}  // namespace

TEST_CASE("stats: queues show pending, dead letters, live workers and recent throughput", "[stats]") {
    Config c = test::test_config();
    c.worker.heartbeat_interval = 100ms;
    test::QueueWithWorker sq("sq", c);
    Queue idle("sq_idle", c);
    for (int i = 0; i < 3; ++i) idle.enqueue("echo");
    sq.tasks.add_builtins(false);
    sq.start_worker({.concurrency = 2});
    for (int i = 0; i < 4; ++i) sq.wait_result(sq.enqueue("echo"));
    for (int i = 0; i < 2; ++i) sq.wait_result(sq.enqueue("fail"));

    std::vector<QueueStats> stats;
    REQUIRE(test::eventually([&] {
        stats = queue_stats(c);
        auto s = find(stats, "sq");
        return s != nullptr && s->finished_recently == 6;
    }));
    const QueueStats* s = find(stats, "sq");
    CHECK(s->dead == 2);
    CHECK(s->workers == 1);
    CHECK(s->per_second > 0);
    CHECK(s->counts.pending == 0);
    const QueueStats* other = find(stats, "sq_idle");
    REQUIRE(other != nullptr);
    CHECK(other->counts.pending == 3);
    CHECK(other->dead == 0);
    CHECK(other->workers == 0);
    CHECK(other->per_second == 0);

    std::string out;
    REQUIRE(test::run_command(naq_cmd(c, "queues --json"), &out) == 0);
    auto rows = Json::parse(out);
    REQUIRE(rows.size() == 2);
    CHECK(rows[0]["queue"] == "sq");
    CHECK(rows[0]["dead"] == 2);
    CHECK(rows[0]["workers"] == 1);
    CHECK(rows[0]["finished_last_minute"] == 6);
    CHECK(rows[1]["pending"] == 3);
    out.clear();
    REQUIRE(test::run_command(naq_cmd(c, "queues"), &out) == 0);
    CHECK(out.find("DEAD") != std::string::npos);
    CHECK(out.find("JOBS/S") != std::string::npos);
}

TEST_CASE("stats: naq top --once shows queues and workers", "[stats][cli]") {
    test::QueueWithWorker topq("topq");
    const Config& c = topq.config;
    topq.tasks.add_builtins(false);
    Worker& w = topq.start_worker();
    topq.enqueue("echo");
    std::string out;
    REQUIRE(test::eventually([&] {
        out.clear();
        return test::run_command(naq_cmd(c, "top --once"), &out) == 0 && out.find(w.id()) != std::string::npos;
    }));
    CHECK(out.find("QUEUES") != std::string::npos);
    CHECK(out.find("topq") != std::string::npos);
    CHECK(out.find("WORKERS") != std::string::npos);
    CHECK(out.find("\x1b[2J") == std::string::npos);  // not a terminal: no screen clearing
    out.clear();
    REQUIRE(test::run_command(naq_cmd(c, "--json top --once"), &out) == 0);
    auto frame = Json::parse(out);
    CHECK(frame["queues"][0]["queue"] == "topq");
    CHECK(frame["workers"][0]["id"] == w.id());
}
