// The naq binary as users run it: subprocesses against a real nats-server.
#include <catch2/catch.hpp>

#include <signal.h>

#include <sys/wait.h>
#include <unistd.h>
#include <fstream>

#include "naq/errors.hpp"
#include "naq/queue.hpp"
#include "naq/results.hpp"
#include "support/test_env.hpp"

using namespace naq;
using namespace std::chrono_literals;
using test::naq_cmd;

TEST_CASE("cli: naq enqueue --wait round trip through naq worker", "[cli]") {
    Config c = test::test_config();
    test::ChildProcess worker(naq_cmd(c, "worker clijobs --concurrency 2"));
    std::string out;
    int code = test::run_command(
        naq_cmd(c, "enqueue echo --queue clijobs --arg name=ada --arg n=3 --wait --timeout 20"), &out);
    CHECK(code == 0);
    auto result = Json::parse(out);
    CHECK(result["name"] == "ada");
    CHECK(result["n"] == 3);    // --arg values that are JSON stay JSON
    CHECK(worker.stop() == 0);  // SIGTERM is a graceful stop with exit 0
}

// The systemd unit naq-worker@a:b passes its instance name as one argument. (The test reads the
// worker's status record rather than running a job per queue: which queues a worker serves is
// what the argument decides.)
TEST_CASE("cli: naq worker splits a queue list argument at colons and commas (systemd instance name)", "[cli]") {
    Config c = test::test_config();
    test::ChildProcess worker(naq_cmd(c, "worker listq1:listq2 listq3,listq4"));
    std::string out;
    REQUIRE(test::eventually([&] {
        out.clear();
        return test::run_command(naq_cmd(c, "workers --json"), &out) == 0 && Json::parse(out).size() == 1;
    }));
    CHECK(Json::parse(out)[0]["queues"] == Json::array({"listq1", "listq2", "listq3", "listq4"}));
    CHECK(worker.stop() == 0);
}

TEST_CASE("cli: naq enqueue prints an id, naq job and naq result read it back", "[cli]") {
    Config c = test::test_config();
    std::string id;
    REQUIRE(test::run_command(naq_cmd(c, "enqueue echo --queue ids --args '{\"k\":1}'"), &id) == 0);
    id.erase(id.find_last_not_of('\n') + 1);
    CHECK(id.size() == 36);
    std::string out;
    CHECK(test::run_command(naq_cmd(c, "result " + id), &out) == 3);  // not run yet: not found
    CHECK(test::run_command(naq_cmd(c, "--json job " + id), &out) == 0);
    CHECK(Json::parse(out)["state"] == "queued");
    test::ChildProcess worker(naq_cmd(c, "worker ids"));
    out.clear();
    CHECK(test::run_command(naq_cmd(c, "result " + id + " --wait --timeout 20"), &out) == 0);
    CHECK(Json::parse(out)["k"] == 1);
    out.clear();
    CHECK(test::run_command(naq_cmd(c, "queues --json"), &out) == 0);
    auto queues = Json::parse(out);
    REQUIRE(queues.size() == 1);
    CHECK(queues[0]["queue"] == "ids");
}

TEST_CASE("cli: a failed job exits 1 with --wait, bad input exits 2, no server exits 5", "[cli]") {
    Config c = test::test_config();
    test::ChildProcess worker(naq_cmd(c, "worker failing"));
    std::string out;
    CHECK(test::run_command(naq_cmd(c, "enqueue fail --queue failing --arg message=nope --wait --timeout 20"), &out) ==
          1);
    CHECK(out.find("nope") != std::string::npos);
    CHECK(test::run_command(naq_cmd(c, "enqueue echo --args '{broken' 2>/dev/null")) == 2);
    CHECK(test::run_command(naq_cmd(c, "enqueue echo --queue 'bad.name' 2>/dev/null")) == 2);
    CHECK(test::run_command(std::string(NAQ_BINARY) + " --url nats://127.0.0.1:" + std::to_string(free_port()) +
                            " --set nats.connect_timeout=300ms enqueue echo 2>/dev/null") == 5);
    CHECK(test::run_command(naq_cmd(c, "result 00000000-0000-7000-8000-000000000000 2>/dev/null")) == 3);
}

TEST_CASE("cli: naq cancel and naq dead report what they did", "[cli]") {
    Config c = test::test_config();
    std::string id;
    REQUIRE(test::run_command(naq_cmd(c, "enqueue echo --queue later"), &id) == 0);
    id.erase(id.find_last_not_of('\n') + 1);
    std::string out;
    CHECK(test::run_command(naq_cmd(c, "cancel " + id), &out) == 0);
    CHECK(out.find("cancel requested") != std::string::npos);
    out.clear();
    CHECK(test::run_command(naq_cmd(c, "cancel " + id), &out) == 1);  // already cancelled: final
    CHECK(out.find("already finished (cancelled)") != std::string::npos);
    CHECK(test::run_command(naq_cmd(c, "cancel no-such-job 2>/dev/null")) == 3);
    out.clear();
    CHECK(test::run_command(naq_cmd(c, "dead list --json"), &out) == 0);
    CHECK(Json::parse(out).empty());
    CHECK(test::run_command(naq_cmd(c, "dead requeue 2>/dev/null")) == 2);  // needs an id or --all
}

TEST_CASE("cli: naq purge removes waiting jobs only with --yes when not on a terminal", "[cli]") {
    Config c = test::test_config();
    Queue q("purgeme", c);
    for (int i = 0; i < 5; ++i) q.enqueue("echo");
    CHECK(test::run_command(naq_cmd(c, "purge purgeme < /dev/null 2>/dev/null")) == 2);
    CHECK(q.counts().stored == 5);
    std::string out;
    CHECK(test::run_command(naq_cmd(c, "purge purgeme --yes"), &out) == 0);
    CHECK(out.find("purged 5") != std::string::npos);
    CHECK(q.counts().stored == 0);
}

TEST_CASE("cli: a plugin task runs in naq worker --plugin", "[cli][plugin]") {
    std::string plugin = NAQ_EXAMPLE_PLUGIN;
    REQUIRE_FALSE(plugin.empty());
    Config c = test::test_config();
    test::ChildProcess worker(naq_cmd(c, "worker plugins --plugin " + plugin));
    std::string out;
    CHECK(test::run_command(naq_cmd(c, "enqueue greet --queue plugins --arg name=naq --wait --timeout 20"), &out) == 0);
    CHECK(Json::parse(out)["greeting"] == "hello, naq");
}

TEST_CASE("cli: a plugin loads into a library worker's registry", "[plugin]") {
    TaskRegistry tasks;
    tasks.load_plugin(NAQ_EXAMPLE_PLUGIN);
    CHECK(tasks.contains("greet"));
    CHECK_THROWS_AS(tasks.load_plugin("/nonexistent/plugin.so"), naq::Error);
}

TEST_CASE("cli: naq dev runs the demo to completion", "[cli][dev]") {
    std::string out;
    int code = test::run_command(std::string(NAQ_BINARY) + " dev --jobs 6 2>&1", &out);
    INFO(out);
    CHECK(code == 0);
    CHECK(out.find("finished     9/9") != std::string::npos);  // 6 + the failing pair + one delayed job
    CHECK(out.find("succeeded") != std::string::npos);
    CHECK(out.find("dead") != std::string::npos);
}

TEST_CASE("cli: wildcards and empty names never reach a key or subject (dead letters, results, jobs)",
          "[cli][hostile]") {
    Config c = test::test_config();
    // Two queues with a dead letter each.
    for (const char* q : {"wild1", "wild2"}) {
        REQUIRE(test::run_command(naq_cmd(c, std::string("enqueue fail --queue ") + q)) == 0);
    }
    {
        test::ChildProcess worker(naq_cmd(c, "worker wild1,wild2"));
        REQUIRE(test::eventually(
            [&] {
                std::string out;
                return test::run_command(naq_cmd(c, "--json dead list"), &out) == 0 && Json::parse(out).size() == 2;
            },
            20s));
    }
    std::string out;
    // Purging or requeueing "*", ">", "" or "a b" is a usage error, and nothing is deleted.
    for (const char* queue : {"'*'", "'>'", "''", "'a b'", "wild1.x"}) {
        CHECK(test::run_command(naq_cmd(c, std::string("dead purge -y ") + queue)) == 2);
        CHECK(test::run_command(naq_cmd(c, std::string("dead requeue --all -q ") + queue)) == 2);
        CHECK(test::run_command(naq_cmd(c, std::string("dead list ") + queue)) == 2);
    }
    CHECK(test::run_command(naq_cmd(c, "dead purge -y")) == 2);  // no queue named: not "every queue"
    CHECK(test::run_command(naq_cmd(c, "dead purge -y wild1 --all-queues")) == 2);
    REQUIRE(test::run_command(naq_cmd(c, "--json dead list"), &out) == 0);
    CHECK(Json::parse(out).size() == 2);
    // One queue's, then every queue's, with the real counts.
    out.clear();
    CHECK(test::run_command(naq_cmd(c, "--json dead purge -y wild1"), &out) == 0);
    CHECK(Json::parse(out)["purged"] == 1);
    out.clear();
    CHECK(test::run_command(naq_cmd(c, "--json dead purge -y --all-queues"), &out) == 0);
    CHECK(Json::parse(out)["purged"] == 1);

    // A job id with a wildcard is refused before it reaches a KV watch (it printed another job's
    // result and exited 0 before).
    REQUIRE(test::run_command(naq_cmd(c, "enqueue echo --queue wild3 --arg a=1")) == 0);
    CHECK(test::run_command(naq_cmd(c, "result '*' --wait --timeout 5")) == 2);
    CHECK(test::run_command(naq_cmd(c, "result '>'")) == 2);
    CHECK(test::run_command(naq_cmd(c, "job 'a.b'")) == 2);
    CHECK(test::run_command(naq_cmd(c, "cancel '*'")) == 2);
    CHECK(test::run_command(naq_cmd(c, "result " + std::string(200, 'x'))) == 2);
    ResultStore results(c);
    CHECK_THROWS_AS(results.wait("*", 1s), InvalidArgument);
    CHECK_THROWS_AS(results.try_status("a b"), InvalidArgument);
}

TEST_CASE("cli: text from a stored record cannot repaint the terminal (naq job, naq result)", "[cli][hostile]") {
    Config c = test::test_config();
    const std::string evil =
        "boom\x1b[2J\x1b]0;owned\x07\r\xc2\x9b"
        "31m";
    std::string id;
    REQUIRE(test::run_command(naq_cmd(c, "enqueue fail --queue esc --args '" + Json{{"message", evil}}.dump() + "'"),
                              &id) == 0);
    id.erase(id.find_last_not_of('\n') + 1);
    {
        test::ChildProcess worker(naq_cmd(c, "worker esc"));
        REQUIRE(ResultStore(c).wait_final(id, 20s).state == JobState::dead);
    }
    for (const std::string& command : {"job " + id, "result " + id}) {
        std::string out;
        test::run_command(naq_cmd(c, command), &out);
        CAPTURE(command, out);
        CHECK(out.find('\x1b') == std::string::npos);
        CHECK(out.find('\x07') == std::string::npos);
        CHECK(out.find('\r') == std::string::npos);
        CHECK(out.find("\xc2\x9b") == std::string::npos);
        CHECK(out.find("boom\\x1b[2J") != std::string::npos);  // shown, escaped
    }
}

TEST_CASE("cli: a worker whose connection closes for good exits 5 instead of staying up half-alive", "[cli][fault]") {
    test::PrivateNatsServer server;
    Config c = test::config_for(server.url());
    int code = -1;
    std::thread worker([&] {
        code = test::run_command("NAQ_NATS_MAX_RECONNECT_ATTEMPTS=2 NAQ_NATS_RECONNECT_WAIT=100ms timeout 60 " +
                                 naq_cmd(c, "worker gone"));
    });
    REQUIRE(test::eventually(
        [&] {
            std::string out;
            return test::run_command(naq_cmd(c, "--json workers"), &out) == 0 && Json::parse(out).size() == 1;
        },
        20s));
    server.kill();  // no server comes back: cnats gives up after two attempts
    worker.join();
    CHECK(code == 5);  // before: it stayed up logging "fetch failed: Connection Closed" until SIGTERM (timeout: 124)
}

TEST_CASE("cli: log.format=json writes one JSON object per line, whatever a job's error says", "[cli][hostile]") {
    Config c = test::test_config();
    const std::string log = "/tmp/naq-json-log-" + c.jetstream.prefix + ".log";
    {
        test::ChildProcess worker(naq_cmd(c, "--set log.format=json worker jsonlog") + " 2>" + log);
        Queue q("jsonlog", c);
        // Quotes, a backslash, a newline and a byte that is not UTF-8: each would break a naive line.
        std::string id = q.enqueue("fail", {{"message", std::string("say \"hi\" \\ then\nbye \xff")}});
        CHECK(ResultStore(c).wait_final(id, 20s).state == JobState::dead);
        CHECK(worker.stop() == 0);
    }
    std::ifstream in(log);
    std::string line;
    int lines = 0;
    bool saw_error = false;
    while (std::getline(in, line)) {
        ++lines;
        Json j;
        REQUIRE_NOTHROW(j = Json::parse(line));
        CHECK(j.contains("time"));
        CHECK(j.contains("level"));
        if (j["msg"].get<std::string>().find("say \"hi\" \\ then\nbye") != std::string::npos) saw_error = true;
    }
    std::remove(log.c_str());
    CHECK(lines > 0);
    CHECK(saw_error);
}
