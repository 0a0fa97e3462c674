// Crash safety: workers killed with SIGKILL mid-run lose no job. Prints lost= and duplicates=.
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <thread>

#include "naq/kv_store.hpp"
#include "naq/names.hpp"
#include "naq/queue.hpp"
#include "naq/results.hpp"
#include "support/fault_kit.hpp"
#include "support/test_env.hpp"

using namespace naq;
using namespace std::chrono_literals;

namespace {

pid_t spawn_worker(const Config& c, const std::string& queue, const std::string& record_file,
                   const std::string& settings = "") {
    std::string cmd = std::string("exec ") + NAQ_BINARY + " --url " + c.nats.servers[0] + " --prefix " +
                      c.jetstream.prefix + " --log-level error --set worker.ack_wait=2s " + settings + " worker " +
                      queue + " --concurrency 8 --plugin " + NAQ_RECORD_PLUGIN;
    pid_t pid = ::fork();
    if (pid == 0) {
        ::setenv("NAQ_RECORD_FILE", record_file.c_str(), 1);
        ::execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
        ::_exit(127);
    }
    return pid;
}

void stop(pid_t pid, int sig) {
    ::kill(pid, sig);
    ::waitpid(pid, nullptr, 0);
}

std::map<std::string, int> executions(const std::string& record_file) {
    std::map<std::string, int> count;
    std::ifstream in(record_file);
    std::string line;
    while (std::getline(in, line)) ++count[line];
    return count;
}

// What happened once `victim` was SIGKILLed and a successor worker drained the queue.
struct Takeover {
    bool drained = false;
    int lost = 0;  // jobs of `ids` that never ran
    std::chrono::milliseconds took{0};
};

// Starts a successor worker, SIGKILLs `victim`, waits for the queue to be empty and stops the
// successor; counts the jobs of `ids` that never ran, and the time since `start`.
Takeover kill_and_take_over(const Config& c, Queue& q, pid_t victim, const std::string& record_file,
                            const std::string& settings, const std::vector<std::string>& ids,
                            std::chrono::steady_clock::time_point start, const std::string& label) {
    pid_t steady = spawn_worker(c, q.name(), record_file, settings);
    stop(victim, SIGKILL);
    Takeover t;
    t.drained = test::eventually([&] { return q.counts().stored == 0; }, 60s);
    t.took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
    stop(steady, SIGTERM);
    auto counts = executions(record_file);
    for (const auto& id : ids) t.lost += counts.count(id) == 0 ? 1 : 0;
    std::cout << label << ": jobs=" << ids.size() << " lost=" << t.lost << " took=" << t.took.count() << "ms"
              << std::endl;
    return t;
}

}  // namespace

TEST_CASE("fault: workers killed with SIGKILL mid-run lose no job", "[fault]") {
    Config c = test::test_config();
    const std::string queue = "crash";
    char dir[] = "/tmp/naq-fault-XXXXXX";
    REQUIRE(::mkdtemp(dir) != nullptr);
    const std::string record_file = std::string(dir) + "/executions.log";

    Queue q(queue, c);
    const int n = 1500;
    std::vector<JobSpec> batch;
    for (int i = 0; i < n; ++i) batch.push_back({"record", {{"ms", 20}}});
    BatchResult enqueued = q.enqueue_many(batch);
    REQUIRE(enqueued.ok());

    pid_t steady = spawn_worker(c, queue, record_file);  // keeps going the whole time
    int kills = 0;
    for (; kills < 6; ++kills) {
        pid_t victim = spawn_worker(c, queue, record_file);
        // Let it take jobs, then kill it mid-flight.
        auto before = executions(record_file).size();
        test::eventually([&] { return executions(record_file).size() >= before + 60; }, 10s);
        stop(victim, SIGKILL);
    }

    ResultStore results(c);
    bool all_done =
        test::eventually([&] { return q.counts().stored == 0; }, 60s);  // redelivered after the 2 s ack wait
    stop(steady, SIGTERM);

    auto counts = executions(record_file);
    int lost = 0;
    int duplicates = 0;
    for (const auto& id : enqueued.ids) {
        auto it = counts.find(id);
        if (it == counts.end()) {
            ++lost;
        } else {
            duplicates += it->second - 1;
        }
        auto s = results.try_status(id);
        if (!s || s->state != JobState::succeeded) ++lost;
    }
    std::cout << "crash test: jobs=" << n << " kills=" << kills << " lost=" << lost << " duplicates=" << duplicates
              << std::endl;
    CHECK(all_done);
    CHECK(kills >= 5);
    CHECK(lost == 0);
    // Duplicates may only come from jobs whose handler finished but whose ack died with the
    // worker: at most one per in-flight slot per kill.
    CHECK(duplicates <= kills * 8);
    std::remove(record_file.c_str());
    ::rmdir(dir);
}

TEST_CASE("fault: a batch whose workers are SIGKILLed mid-run counts each job once and runs its callback once",
          "[fault][batches]") {
    Config c = test::test_config();
    const std::string queue = "crashbatch";
    test::RecordFile record;
    const std::string& record_file = record.path;
    Queue q(queue, c);
    const int n = 600;
    std::vector<JobSpec> jobs;
    for (int i = 0; i < n; ++i) jobs.push_back({"record", {{"ms", 20}, {"i", i}}});
    BatchResult r = q.enqueue_many(jobs, BatchOptions{.on_complete = BatchCallback{"record"}});
    REQUIRE(r.ok());
    const std::string callback = r.batch_id + "-on-complete";

    pid_t steady = spawn_worker(c, queue, record_file);
    int kills = 0;
    for (; kills < 4; ++kills) {
        pid_t victim = spawn_worker(c, queue, record_file);
        auto before = executions(record_file).size();
        test::eventually([&] { return executions(record_file).size() >= before + 40; }, 10s);
        stop(victim, SIGKILL);
    }
    // The killed workers' jobs come back after the 2 s ack wait; the callback runs after the last.
    bool called = test::eventually([&] { return executions(record_file).count(callback) == 1; }, 90s);
    // Anything that would run it again has had its chance once the queue is empty.
    bool drained = test::eventually([&] { return q.counts().stored == 0; }, 30s);
    stop(steady, SIGTERM);

    auto counts = executions(record_file);
    int duplicates = 0;
    for (const auto& id : r.ids) duplicates += counts.count(id) ? counts[id] - 1 : 0;
    BatchState b = batch_state(r.batch_id, c);
    std::cout << "crash batch test: jobs=" << n << " kills=" << kills << " duplicates=" << duplicates
              << " callback runs=" << counts[callback] << " counted=" << b.finished() << std::endl;
    CHECK(called);
    CHECK(drained);
    CHECK(counts[callback] == 1);
    CHECK(b.succeeded == static_cast<uint32_t>(n));  // each job once, whatever ran twice
    CHECK(b.finished() == b.total);
    CHECK(b.fired);
}

TEST_CASE("fault: a worker SIGKILLed while it holds a queue's concurrency room gives it up after worker_ttl",
          "[fault][queue_limits]") {
    Config c = test::test_config();
    const std::string queue = "crashlimit";
    test::RecordFile record;
    Queue q(queue, c);
    REQUIRE(q.set_limits({.concurrency = 2}));
    const int n = 40;
    std::vector<JobSpec> jobs;
    for (int i = 0; i < n; ++i) jobs.push_back({"record", {{"ms", 200}, {"i", i}}});
    BatchResult r = q.enqueue_many(jobs);
    REQUIRE(r.ok());

    // Short claims: a dead worker's room lapses after 3 s (its jobs come back after 2 s).
    const std::string settings = "--set worker.worker_ttl=3s --set worker.heartbeat_interval=1s";
    auto start = std::chrono::steady_clock::now();
    pid_t victim = spawn_worker(c, queue, record.path, settings);
    auto claimed = [&](int jobs) {
        auto entry = kv_store(Bucket::limits, c).try_get(names::running_jobs_key(queue));
        return entry && entry->value.find("\"n\":" + std::to_string(jobs)) != std::string::npos;
    };
    bool victim_holds = test::eventually([&] { return executions(record.path).size() >= 4 && claimed(2); }, 20s);
    INFO("ran " << executions(record.path).size() << ", running record "
                << kv_store(Bucket::limits, c).try_get(names::running_jobs_key(queue)).value_or(KvEntry{}).value);
    REQUIRE(victim_holds);
    // It dies holding the queue's whole room.
    Takeover t = kill_and_take_over(c, q, victim, record.path, settings, r.ids, start, "crash limit test");
    CHECK(t.drained);
    CHECK(t.lost == 0);
    // 40 jobs of 200 ms, 2 at a time, take at least 4 s: the limit held through the crash
    // (16 handler slots unlimited would take ~0.5 s).
    CHECK(t.took >= 4s);
    // The successor's claim is removed when it stops; the dead one's lapsed and was dropped.
    auto entry = kv_store(Bucket::limits, c).try_get(names::running_jobs_key(queue));
    REQUIRE(entry);
    CHECK(entry->value.find("holders\":{}") != std::string::npos);
}

TEST_CASE("fault: a worker SIGKILLed while jobs wait for their task's room loses none of them, and the limit holds",
          "[fault][queue_limits]") {
    Config c = test::test_config();
    const std::string queue = "crashtask";
    test::RecordFile record;
    Queue q(queue, c);
    REQUIRE(q.set_limits({.tasks = {{"record", 1}}}));
    const int n = 24;
    std::vector<JobSpec> jobs;
    for (int i = 0; i < n; ++i) jobs.push_back({"record", {{"ms", 150}, {"i", i}}});
    BatchResult r = q.enqueue_many(jobs);
    REQUIRE(r.ok());

    const std::string settings = "--set worker.worker_ttl=3s --set worker.heartbeat_interval=1s";
    auto start = std::chrono::steady_clock::now();
    pid_t victim = spawn_worker(c, queue, record.path, settings);
    // It has fetched more than the one job that may run: the others wait in its task gate,
    // holding their leases but no handler.
    REQUIRE(test::eventually([&] { return executions(record.path).size() >= 2 && q.counts().in_flight >= 4; }, 20s));
    Takeover t = kill_and_take_over(c, q, victim, record.path, settings, r.ids, start, "crash task limit test");
    CHECK(t.drained);
    CHECK(t.lost == 0);
    // 24 jobs of 150 ms one at a time take at least 3.6 s (two workers × 8 slots unlimited: ~0.3 s).
    CHECK(t.took >= 3600ms);
}
