// Unique jobs against a real nats-server (docs/queue-control.md#unique-jobs): a job enqueued with
// unique_for takes its key in the unique bucket; while that claim holds, enqueueing the same job
// returns the holder's id and stores nothing; producers racing for a key end with one job.
#include <catch2/catch.hpp>

#include <atomic>
#include <set>
#include <thread>

#include "naq/events.hpp"
#include "naq/kv_store.hpp"
#include "naq/names.hpp"
#include "naq/queue.hpp"
#include "naq/results.hpp"
#include "support/test_env.hpp"

using namespace naq;
using namespace std::chrono_literals;
using test::naq_cmd;

namespace {

EnqueueResult submit(Queue& q, const std::string& task, const Json& args, const EnqueueOptions& o) {
    return q.submit(q.make_job(task, args, o));
}

uint64_t stored(const Queue& q) { return q.counts().stored; }

int count_events(const Config& c, const std::string& queue, const char* type) {
    return static_cast<int>(read_events(c, {.queue = queue, .type = type}).size());
}

// Enqueues the same unique job from `threads` threads at once; returns the ids they were given.
std::set<std::string> race(Queue& q, const EnqueueOptions& o, int threads) {
    std::atomic<int> ready{0};
    std::mutex m;
    std::set<std::string> ids;
    std::vector<std::thread> producers;
    for (int i = 0; i < threads; ++i) {
        producers.emplace_back([&] {
            ++ready;
            while (ready.load() < threads) std::this_thread::yield();  // all start together
            EnqueueResult r = submit(q, "echo", {{"race", 1}}, o);
            std::lock_guard lock(m);
            ids.insert(r.id);
        });
    }
    for (auto& t : producers) t.join();
    return ids;
}

}  // namespace

TEST_CASE("unique jobs: a second enqueue while the first is queued returns its id and stores nothing", "[unique]") {
    Config c = test::test_config();
    Queue q("uq", c);
    const EnqueueOptions o{.unique_for = Millis(3'600'000)};

    EnqueueResult first = submit(q, "echo", {{"a", 1}, {"b", "x"}}, o);
    CHECK_FALSE(first.duplicate);
    CHECK_FALSE(first.unique);
    // The same task and args, built in another order: the same job.
    Json reordered = Json::object();
    reordered["b"] = "x";
    reordered["a"] = 1;
    EnqueueResult second = submit(q, "echo", reordered, o);
    CHECK(second.id == first.id);
    CHECK(second.duplicate);
    CHECK(second.unique);
    CHECK(stored(q) == 1);

    // Other args, or no unique_for, make another job.
    CHECK_FALSE(submit(q, "echo", {{"a", 2}, {"b", "x"}}, o).duplicate);
    CHECK_FALSE(submit(q, "echo", {{"a", 1}, {"b", "x"}}, {}).duplicate);
    CHECK(stored(q) == 3);

    // A given key (any text) decides alone, whatever the args.
    EnqueueOptions keyed = o;
    keyed.unique_key = "report * > . for customer 42";
    EnqueueResult r1 = submit(q, "report", {{"page", 1}}, keyed);
    EnqueueResult r2 = submit(q, "report", {{"page", 2}}, keyed);
    CHECK_FALSE(r1.duplicate);
    CHECK(r2.id == r1.id);
    CHECK(r2.unique);
    CHECK(stored(q) == 4);

    // The job's record names its key; each turned-away enqueue is an event naming the holder.
    JobStatus s = ResultStore(c).status(first.id);
    REQUIRE(s.unique);
    CHECK(s.unique->key == names::unique_claim_key("uq", "echo\n{\"a\":1,\"b\":\"x\"}"));
    CHECK(s.unique->until == UniqueUntil::finished);
    CHECK(s.unique->until_ms > now_ms() + 3'500'000);
    REQUIRE(test::eventually([&] { return count_events(c, "uq", "deduplicated") == 2; }));
    auto events = read_events(c, {.queue = "uq", .type = "deduplicated"});
    CHECK(events[0].job_id == first.id);
    CHECK(events[0].data["key"] == s.unique->key);
}

TEST_CASE("unique jobs: the key is held while the job runs and given back when it finishes", "[unique]") {
    test::QueueWithWorker uq("urun", test::test_config());
    test::Gate gate;
    std::atomic<int> running{0};
    uq.tasks.add_builtins(false);
    uq.tasks.add("hold", [&](JobContext&, const Json&) -> Json {
        ++running;
        gate.wait();
        return "done";
    });
    uq.start_worker({.concurrency = 2});
    struct Release {
        test::Gate& gate;
        ~Release() { gate.release(); }
    } release{gate};
    const EnqueueOptions o{.unique_for = Millis(3'600'000)};

    EnqueueResult first = submit(uq.queue, "hold", {}, o);
    REQUIRE(test::eventually([&] { return running.load() == 1; }));
    EnqueueResult while_running = submit(uq.queue, "hold", {}, o);
    CHECK(while_running.id == first.id);
    CHECK(while_running.unique);

    gate.release();
    CHECK(uq.wait_final(first.id).state == JobState::succeeded);
    // The worker gave the key back: the unique bucket has no entry for it any more.
    const std::string key = ResultStore(uq.config).status(first.id).unique.value().key;
    KvStore unique = kv_store(Bucket::unique, uq.config);
    CHECK(test::eventually([&] { return !unique.try_get(key); }));

    EnqueueResult after = submit(uq.queue, "hold", {}, o);
    CHECK_FALSE(after.duplicate);
    CHECK(after.id != first.id);
    CHECK(uq.wait_final(after.id).state == JobState::succeeded);
}

TEST_CASE("unique jobs: a dead job gives its key back too", "[unique]") {
    test::QueueWithWorker uq("udead", test::test_config());
    uq.tasks.add("boom", [](JobContext&, const Json&) -> Json { throw std::runtime_error("boom"); });
    uq.start_worker();
    const EnqueueOptions o{.max_attempts = 1, .unique_for = Millis(3'600'000)};
    EnqueueResult first = submit(uq.queue, "boom", {}, o);
    CHECK(uq.wait_final(first.id).state == JobState::dead);
    // Taken at once, whether the worker gave the key back yet or the record says the holder is dead.
    EnqueueResult again = submit(uq.queue, "boom", {}, o);
    CHECK_FALSE(again.duplicate);
    CHECK(again.id != first.id);
}

TEST_CASE("unique jobs: in expiry mode the key holds after the job finished, until unique_for has passed", "[unique]") {
    test::QueueWithWorker uq("uexp", test::test_config());
    uq.tasks.add_builtins(false);
    uq.start_worker();
    const EnqueueOptions o{.unique_for = Millis(1'500), .unique_until = UniqueUntil::expiry};
    EnqueueResult first = submit(uq.queue, "echo", {{"n", 1}}, o);
    CHECK(uq.wait_final(first.id).state == JobState::succeeded);
    EnqueueResult held = submit(uq.queue, "echo", {{"n", 1}}, o);
    CHECK(held.id == first.id);
    CHECK(held.unique);
    // Once until_ms has passed, the next enqueue takes the key over.
    const int64_t until = ResultStore(uq.config).status(first.id).unique.value().until_ms;
    std::string next;
    REQUIRE(test::eventually(
        [&] {
            EnqueueResult r = submit(uq.queue, "echo", {{"n", 1}}, o);
            next = r.id;
            return !r.duplicate;
        },
        5s));
    CHECK(now_ms() >= until);
    CHECK(next != first.id);
}

TEST_CASE("unique jobs: a claim past its unique_for is taken over though its job still waits", "[unique]") {
    Config c = test::test_config();
    Queue q("ulapse", c);
    const EnqueueOptions o{.unique_for = Millis(300)};
    EnqueueResult first = submit(q, "echo", {}, o);
    CHECK(submit(q, "echo", {}, o).id == first.id);
    std::string next;
    REQUIRE(test::eventually([&] {
        EnqueueResult r = submit(q, "echo", {}, o);
        next = r.id;
        return !r.duplicate;
    }));
    CHECK(next != first.id);
    CHECK(stored(q) == 2);  // both wait: the first was not removed, only its claim lapsed
}

TEST_CASE("unique jobs: producers racing for one key end with one job, also when taking over a lapsed claim",
          "[unique]") {
    Config c = test::test_config();
    Queue q("urace", c);
    const EnqueueOptions o{.unique_for = Millis(600)};
    std::set<std::string> first = race(q, o, 8);
    CHECK(first.size() == 1);
    CHECK(stored(q) == 1);

    // Wait until the claim has lapsed (the holder still waits in the queue), then race again:
    // the compare-and-set lets exactly one producer take the key over.
    const int64_t until = ResultStore(c).status(*first.begin()).unique.value().until_ms;
    REQUIRE(test::eventually([&] { return now_ms() > until; }));
    std::set<std::string> second = race(q, o, 8);
    CHECK(second.size() == 1);
    CHECK(*second.begin() != *first.begin());
    CHECK(stored(q) == 2);
}

TEST_CASE("unique jobs: enqueue_many turns away the unique jobs whose key is held", "[unique]") {
    Config c = test::test_config();
    Queue q("umany", c);
    const EnqueueOptions o{.unique_for = Millis(3'600'000)};
    std::string earlier = submit(q, "echo", {{"k", "held"}}, o).id;
    std::vector<JobSpec> specs = {
        {"echo", {{"k", "new"}}, o},   // takes its key
        {"echo", {{"k", "new"}}, o},   // the same: turned away in favour of the one just before
        {"echo", {{"k", "held"}}, o},  // held since before the batch
        {"echo", {{"k", "plain"}}, {}},
    };
    BatchResult r = q.enqueue_many(specs);
    REQUIRE(r.ok());
    CHECK(r.ids[1] == r.ids[0]);
    CHECK(r.ids[2] == earlier);
    CHECK(r.ids[3] != r.ids[0]);
    CHECK(std::set<std::string>(r.duplicates.begin(), r.duplicates.end()) == std::set<std::string>{r.ids[0], earlier});
    CHECK(stored(q) == 3);  // earlier, "new", "plain"
}

TEST_CASE("unique jobs: bad unique options are refused before anything is stored", "[unique]") {
    Config c = test::test_config();
    Queue q("ubad", c);
    CHECK_THROWS_AS(q.enqueue("echo", {}, {.unique_for = Millis(0)}), InvalidArgument);
    CHECK_THROWS_AS(q.enqueue("echo", {}, {.unique_for = c.results.ttl + Millis(1)}), InvalidArgument);
    EnqueueOptions long_key{.unique_for = Millis(1000)};
    long_key.unique_key = std::string(1025, 'k');
    CHECK_THROWS_AS(q.enqueue("echo", {}, long_key), InvalidArgument);
    CHECK_THROWS_AS(q.enqueue_in(Millis(1000), "echo", {}, {.unique_for = Millis(1000)}), InvalidArgument);
    CHECK(stored(q) == 0);
}

TEST_CASE("unique jobs: a job the stream refuses gives its key back", "[unique]") {
    Config c = test::test_config();
    c.jetstream.max_jobs = 1;
    Queue q("ufull", c);
    q.enqueue("echo");  // the stream is full now
    const EnqueueOptions o{.unique_for = Millis(3'600'000)};
    CHECK_THROWS_AS(q.enqueue("echo", {{"u", 1}}, o), ApiError);
    q.purge();
    // The refused job holds nothing: the same unique job is enqueued, not turned away.
    EnqueueResult r = submit(q, "echo", {{"u", 1}}, o);
    CHECK_FALSE(r.duplicate);
    CHECK(stored(q) == 1);
}

TEST_CASE("unique jobs: naq enqueue --unique-for prints the holder's id and says so", "[unique][cli]") {
    Config c = test::test_config();
    const std::string cmd = "enqueue echo -q ucli --arg n=1 --unique-for 1h";
    std::string out1;
    std::string out2;
    std::string json;
    REQUIRE(test::run_command(naq_cmd(c, cmd), &out1) == 0);
    const std::string id = out1.substr(0, out1.find('\n'));
    REQUIRE(test::run_command(naq_cmd(c, cmd), &out2) == 0);
    CHECK(out2.rfind(id, 0) == 0);
    CHECK_THAT(out2, Catch::Contains("holds the unique key"));
    REQUIRE(test::run_command(naq_cmd(c, "--json " + cmd), &json) == 0);
    Json j = Json::parse(json);
    CHECK(j["id"] == id);
    CHECK(j["duplicate"] == true);
    CHECK(j["unique"] == true);
    CHECK(Queue("ucli", c).counts().stored == 1);

    std::string shown;
    REQUIRE(test::run_command(naq_cmd(c, "job " + id), &shown) == 0);
    CHECK_THAT(shown, Catch::Contains("unique"));
    CHECK_THAT(shown, Catch::Contains("(finished)"));

    std::string err;
    CHECK(test::run_command(naq_cmd(c, "enqueue echo --unique-for 0s 2>&1"), &err) == 2);
    CHECK(test::run_command(naq_cmd(c, "enqueue echo --unique-key k 2>&1"), &err) == 2);  // needs --unique-for
    CHECK(test::run_command(naq_cmd(c, "enqueue echo --unique-for 1h --unique-until never 2>&1"), &err) == 2);
    CHECK(test::run_command(naq_cmd(c, "enqueue echo --unique-for 1h --in 10s 2>&1"), &err) == 2);
    CHECK_THAT(err, Catch::Contains("unique_for"));
}
