// Scoped handles against a real nats-server: KV operations, error mapping, pooling, outages.
#include <catch2/catch.hpp>

#include <atomic>
#include <thread>

#include "naq/errors.hpp"
#include "naq/jetstream.hpp"
#include "naq/kv_store.hpp"
#include "support/test_env.hpp"

using namespace naq;
using namespace std::chrono_literals;

namespace {
BucketSpec test_bucket(const Config& c, const std::string& name = "kv") {
    BucketSpec spec;
    spec.name = c.jetstream.prefix + "_" + name;
    spec.history = 5;
    return spec;
}
}  // namespace

TEST_CASE("connection: KV put, get, delete and keys through a scoped handle", "[connection]") {
    Config c = test::test_config();
    auto kv = kv_store(test_bucket(c), c);
    uint64_t r1 = kv.put("alpha", "1");
    uint64_t r2 = kv.put("beta", "2");
    CHECK(r2 > r1);
    CHECK(kv.get("alpha").value == "1");
    CHECK(kv.get("beta").revision == r2);
    auto keys = kv.keys();
    std::sort(keys.begin(), keys.end());
    CHECK(keys == std::vector<std::string>{"alpha", "beta"});
    kv.erase("alpha");
    CHECK_FALSE(kv.try_get("alpha").has_value());
    CHECK_THROWS_AS(kv.get("alpha"), NotFound);
    CHECK(kv.keys() == std::vector<std::string>{"beta"});
}

TEST_CASE("connection: missing key is NotFound, lost races are Conflict", "[connection]") {
    Config c = test::test_config();
    auto kv = kv_store(test_bucket(c), c);
    CHECK_THROWS_AS(kv.get("nope"), NotFound);
    uint64_t rev = kv.create("lock", "a");
    CHECK_THROWS_AS(kv.create("lock", "b"), Conflict);
    uint64_t rev2 = kv.update("lock", "c", rev);
    CHECK(rev2 > rev);
    CHECK_THROWS_AS(kv.update("lock", "d", rev), Conflict);  // stale revision
    CHECK(kv.get("lock").value == "c");
}

TEST_CASE("connection: watch delivers current values, a caught-up marker, then live changes", "[connection]") {
    Config c = test::test_config();
    auto kv = kv_store(test_bucket(c), c);
    kv.put("job.1", "queued");
    auto watcher = kv.watch("job.*");
    auto first = watcher.next(2s);
    REQUIRE(first);
    CHECK(first->key == "job.1");
    CHECK(first->value == "queued");
    auto marker = watcher.next(2s);
    REQUIRE(marker);
    CHECK(marker->op == KvOp::caught_up);
    std::thread writer([&] { kv.put("job.2", "running"); });
    auto live = watcher.next(2s);
    writer.join();
    REQUIRE(live);
    CHECK(live->key == "job.2");
    CHECK(live->value == "running");
    kv.erase("job.2");
    auto del = watcher.next(2s);
    REQUIRE(del);
    CHECK(del->op == KvOp::erase);
    CHECK_FALSE(watcher.next(50ms).has_value());  // nothing else happened
}

TEST_CASE("connection: many handles in many threads share one connection", "[connection]") {
    test::PrivateNatsServer server;  // private, so the connection count is ours alone
    Config c = test::config_for(server.url());
    auto spec = test_bucket(c);
    kv_store(spec, c).put("counter", "0");
    std::atomic<int> ok{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < 50; ++i) {
                auto kv = kv_store(spec, c);  // acquired and released every iteration
                kv.put("t" + std::to_string(t), std::to_string(i));
                if (kv.get("t" + std::to_string(t)).value == std::to_string(i)) ++ok;
            }
        });
    }
    for (auto& th : threads) th.join();
    CHECK(ok == 400);
    CHECK(server.connection_count() == 1);
    auto js = jetstream(c);
    auto conn = connection(c);
    CHECK(server.connection_count() == 1);
}

TEST_CASE("connection: unreachable server gives ConnectionError within the connect timeout", "[connection]") {
    Config c = test::config_for("nats://127.0.0.1:" + std::to_string(free_port()));
    c.nats.connect_timeout = 500ms;
    auto start = std::chrono::steady_clock::now();
    CHECK_THROWS_AS(connection(c), ConnectionError);
    CHECK_THROWS_AS(kv_store(Bucket::results, c), ConnectionError);
    // Gives up instead of retrying: a loose bound, 10 times the two attempts' 500 ms timeouts.
    CHECK(std::chrono::steady_clock::now() - start < 10s);
}

TEST_CASE("connection: handles work again after the server restarts", "[connection][fault]") {
    test::PrivateNatsServer server;
    Config c = test::config_for(server.url());
    c.nats.reconnect_wait = 100ms;
    auto spec = test_bucket(c);
    auto kv = kv_store(spec, c);
    kv.put("before", "1");
    server.stop();
    CHECK_THROWS_AS(kv.get("before"), Error);  // down: a typed error, not a hang
    server.start();
    bool back = test::eventually([&] {
        try {
            return kv.get("before").value == "1";
        } catch (const Error&) {
            return false;
        }
    });
    CHECK(back);
    kv.put("after", "2");
    CHECK(kv_store(spec, c).get("after").value == "2");
    CHECK(connection(c).reconnects() >= 1);
}

TEST_CASE("connection: an existing stream with another retention is a Conflict", "[connection]") {
    Config c = test::test_config();
    auto js = jetstream(c);
    StreamSpec spec;
    spec.name = c.jetstream.prefix + "_s";
    spec.subjects = {c.jetstream.prefix + ".s.>"};
    spec.retention = Retention::limits;
    js.ensure_stream(spec);
    js.ensure_stream(spec);  // idempotent
    spec.retention = Retention::work_queue;
    CHECK_THROWS_AS(js.ensure_stream(spec), Conflict);
    CHECK_THROWS_AS(js.stream_state(c.jetstream.prefix + "_missing"), NotFound);
}

TEST_CASE("connection: a reader from a start time early in a second gets exactly the newer messages", "[connection]") {
    // cnats 3.4 sends 20 ms past a second as ".2": the reader must not skip what came after.
    Config c = test::test_config();
    auto js = jetstream(c);
    StreamSpec spec;
    spec.name = c.jetstream.prefix + "_times";
    spec.subjects = {c.jetstream.prefix + ".times"};
    js.ensure_stream(spec);
    js.publish(spec.subjects[0], "old");
    auto wall_ms = [] {
        return std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::system_clock::now().time_since_epoch())
            .count();
    };
    // Cut 10-99 ms into a second (the clock decides, not a sleep): the fraction cnats mangles.
    const int64_t old_stored = wall_ms();
    int64_t cut = wall_ms();
    while (cut <= old_stored || cut % 1000 < 10 || cut % 1000 >= 100) {
        std::this_thread::yield();
        cut = wall_ms();
    }
    js.publish(spec.subjects[0], "new");

    auto reader = js.read({.stream = spec.name, .filter = spec.subjects[0], .start_time_ms = cut});
    CHECK(reader.initial_pending() == 1);
    auto m = reader.next(2s);
    REQUIRE(m);
    CHECK(m->data == "new");
    CHECK_FALSE(reader.next(50ms));
}

TEST_CASE("connection: streams and buckets with fewer copies than jetstream.replicas are named in a warning",
          "[connection]") {
    Config c = test::test_config();
    std::string out;
    REQUIRE(test::run_command(test::naq_cmd(c, "queues 2>&1"), &out) == 0);  // creates them with 1 replica
    CHECK(out.find("replica(s)") == std::string::npos);
    out.clear();
    // A process started with the cluster's setting (here a single server: nothing can be raised).
    REQUIRE(test::run_command("NAQ_JETSTREAM_REPLICAS=3 " + test::naq_cmd(c, "queues 2>&1"), &out) == 0);
    CHECK(out.find("stream " + c.jetstream.prefix + "_jobs has 1 replica(s) but jetstream.replicas is 3") !=
          std::string::npos);
    CHECK(out.find("--replicas 3") != std::string::npos);
}
