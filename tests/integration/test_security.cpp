// What naq prints and what exec jobs see: no credential reaches a terminal, a log or a job.
#include <catch2/catch.hpp>

#include <cstdlib>

#include "naq/local_server.hpp"
#include "naq/queue.hpp"
#include "naq/results.hpp"
#include "support/test_env.hpp"

using namespace naq;
using namespace std::chrono_literals;

namespace {

// Everything a command printed, stdout and stderr.
std::string output_of(const std::string& command) {
    std::string out;
    test::run_command(command + " 2>&1", &out);
    return out;
}

std::string with_password(const std::string& url, const std::string& password) {
    return "nats://alice:" + password + "@" + url.substr(std::string("nats://").size());
}

}  // namespace

TEST_CASE("security: a password in a server URL is never printed, in output, errors or logs", "[security][cli]") {
    const std::string naq = NAQ_BINARY;
    const std::string dead = "nats://alice:S3cretDead@127.0.0.1:" + std::to_string(free_port());
    std::string all;
    all += output_of("NAQ_NATS_URL=" + dead + " " + naq + " config show");
    all += output_of("NAQ_NATS_URL=" + dead + " " + naq + " --json config show");
    all += output_of(naq + " --url " + dead + " --log-level trace --set nats.connect_timeout=300ms enqueue echo");
    all += output_of("NAQ_NATS_URL=alice:S3cretBad@127.0.0.1 " + naq + " config show");  // invalid: echoed before
    all += output_of(naq + " --set nats.password:S3cretTypo config show");  // a typo for '='
    CHECK(all.find("alice:***@") != std::string::npos);  // the commands did print the URL, redacted
    CHECK(all.find("S3cret") == std::string::npos);

    // A worker's connection logs (connect, disconnect, reconnect) at trace level.
    LocalNatsServer server;
    Config c = test::config_for(with_password(server.url(), "S3cretLive"));
    const std::string log = "/tmp/naq-security-" + std::to_string(::getpid()) + ".log";
    {
        test::ChildProcess worker(std::string(NAQ_BINARY) + " --url " + c.nats.servers[0] + " --prefix " +
                                  c.jetstream.prefix + " --log-level trace worker secq > " + log + " 2>&1");
        auto logged = [&log](const std::string& line) {
            std::string text;
            test::run_command("cat " + log, &text);
            return text.find(line) != std::string::npos;
        };
        REQUIRE(test::eventually([&] { return logged("started: queues secq"); }, 20s));
        server.stop();
        server.start();
        REQUIRE(test::eventually([&] { return logged("reconnected to"); }, 20s));
        const int code = worker.stop();
        std::string text;
        test::run_command("cat " + log, &text);
        INFO(text);
        CHECK(code == 0);
    }
    std::string text;
    test::run_command("cat " + log, &text);
    std::remove(log.c_str());
    CHECK(text.find("disconnected from nats://alice:***@") != std::string::npos);
    CHECK(text.find("S3cret") == std::string::npos);
}

TEST_CASE("security: an exec job sees only worker.exec_env of the worker's environment", "[security]") {
    ::setenv("NAQ_NATS_TOKEN_PROBE", "S3cretToken", 1);  // what a worker's environment may hold
    test::QueueWithWorker execenv("execenv");
    execenv.tasks.add_builtins(BuiltinOptions{.allow_exec = true, .exec_env = {"PATH", "HOME"}});
    execenv.start_worker();
    JobResult r = execenv.wait_result(execenv.enqueue("exec", {{"cmd", {"env"}}}), 20s);
    ::unsetenv("NAQ_NATS_TOKEN_PROBE");
    REQUIRE(r.ok);
    const std::string env = r.result["output"].get<std::string>();
    CHECK(env.find("PATH=") != std::string::npos);
    CHECK(env.find("HOME=") != std::string::npos);
    CHECK(env.find("S3cretToken") == std::string::npos);
    CHECK(env.find("LANG=") == std::string::npos);  // not listed here, so not passed
}
