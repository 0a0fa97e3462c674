// Progress reports against a real nats-server: the record, the events, ResultStore::watch and
// `naq job --follow`.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <thread>

#include "naq/events.hpp"
#include "naq/results.hpp"
#include "support/test_env.hpp"

using namespace naq;
using namespace std::chrono_literals;
using test::naq_cmd;

TEST_CASE("progress: a handler's report reaches the record, a watch and the events, and the final record keeps it",
          "[progress]") {
    test::Gate gate;
    test::QueueWithWorker pg("pg");
    pg.tasks.add("render", [&gate](JobContext& ctx, const Json&) -> Json {
        ctx.progress(0.4, "rendered 4/10 pages");
        gate.wait();
        ctx.progress(1.0, "rendered 10/10 pages");
        return "done";
    });
    pg.start_worker();
    struct Release {
        test::Gate& gate;
        ~Release() { gate.release(); }
    } release{gate};
    std::string id = pg.enqueue("render");

    JobWatch watch = pg.results.watch(id);
    std::optional<JobStatus> seen;
    auto deadline = std::chrono::steady_clock::now() + 10s;
    while (std::chrono::steady_clock::now() < deadline) {
        seen = watch.next(1s);
        if (seen && seen->progress) break;
    }
    REQUIRE(seen);
    REQUIRE(seen->progress);
    CHECK(seen->state == JobState::running);
    CHECK(seen->progress->fraction == 0.4);
    CHECK(seen->progress->message == "rendered 4/10 pages");
    CHECK(pg.results.status(id).progress->fraction == 0.4);

    gate.release();
    JobStatus final = pg.wait_final(id);
    CHECK(final.state == JobState::succeeded);
    REQUIRE(final.progress);
    CHECK(final.progress->fraction == 1.0);  // the report made just before returning is kept
    REQUIRE(test::eventually([&] { return !read_events(pg.config, {.type = "progress", .job_id = id}).empty(); }));
    auto events = read_events(pg.config, {.type = "progress", .job_id = id});
    CHECK(events.front().data["fraction"] == 0.4);
    CHECK(events.front().data["message"] == "rendered 4/10 pages");
    CHECK(events.front().attempt == 1);
}

TEST_CASE("progress: reports in a tight loop are written at most every 250 ms", "[progress]") {
    test::QueueWithWorker pl("pl");
    pl.tasks.add("busy", [](JobContext& ctx, const Json&) -> Json {
        auto end = std::chrono::steady_clock::now() + 1200ms;
        int64_t n = 0;
        while (std::chrono::steady_clock::now() < end) ctx.progress(static_cast<double>(++n % 1000) / 1000.0);
        return n;
    });
    pl.start_worker();
    std::string id = pl.enqueue("busy");
    JobStatus final = pl.wait_final(id);
    REQUIRE(final.state == JobState::succeeded);
    CHECK(final.result.get<int64_t>() > 10'000);  // the handler was not slowed down to the write rate
    auto events = read_events(pl.config, {.type = "progress", .job_id = id});
    CHECK(events.size() >= 2);
    CHECK(events.size() <= 7);  // 1.2 s / 250 ms, plus the first
}

TEST_CASE("progress: naq job --follow prints each change until the job ends, and exits as naq result",
          "[progress][cli]") {
    test::Gate gate;
    test::QueueWithWorker pf("pf");
    pf.tasks.add_builtins(false);
    pf.tasks.add("half", [&gate](JobContext& ctx, const Json&) -> Json {
        ctx.progress(0.5, "half way");
        gate.wait();
        ctx.progress(1.0, "all done");
        return "ok";
    });
    pf.start_worker();
    struct Release {
        test::Gate& gate;
        ~Release() { gate.release(); }
    } release{gate};

    // The job is held running at 50%: whenever the CLI starts, it sees that version first.
    std::string ok = pf.enqueue("half");
    REQUIRE(test::eventually([&] {
        auto s = pf.results.try_status(ok);
        return s && s->progress.has_value();
    }));
    const std::string file = (std::filesystem::temp_directory_path() / ("naq-follow-" + ok)).string();
    int code = -1;
    std::thread cli([&] { code = test::run_command(naq_cmd(pf.config, "job " + ok + " --follow") + " > " + file); });
    auto printed = [&file] {
        std::ifstream in(file);
        return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    };
    CHECK(test::eventually([&] { return printed().find("50% half way") != std::string::npos; }, 30s));
    gate.release();
    cli.join();
    CHECK(code == 0);
    std::string out = printed();
    std::filesystem::remove(file);
    CHECK(out.find("running  attempt 1 of 1  50% half way") != std::string::npos);
    CHECK(out.find("succeeded  attempt 1 of 1  100% all done") != std::string::npos);

    std::string bad = pf.enqueue("fail", {{"message", "no luck"}}, {.max_attempts = 1});
    out.clear();
    CHECK(test::run_command(naq_cmd(pf.config, "--json job " + bad + " --follow"), &out) == 1);
    // One record per line; the last is the final one.
    REQUIRE(out.size() > 1);
    std::size_t last_line = out.rfind('\n', out.size() - 2);
    Json last = Json::parse(out.substr(last_line == std::string::npos ? 0 : last_line + 1));
    CHECK(last["state"] == "dead");
    CHECK(last["error"] == "no luck");
    CHECK(test::run_command(naq_cmd(pf.config, "job never-enqueued --follow 2>/dev/null")) == 3);
    CHECK(test::run_command(naq_cmd(pf.config, "job 'a b' --follow 2>/dev/null")) == 2);
}
