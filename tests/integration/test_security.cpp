// What naq prints and what exec jobs see: no credential reaches a terminal, a log or a job.
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "naq/errors.hpp"
#include "naq/local_server.hpp"
#include "naq/names.hpp"
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
    all += output_of(naq + " --set nats.password:S3cretTypo config show");               // a typo for '='
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

namespace {

// A file holding `text` with `mode`, removed with the scope.
struct TempFile {
    TempFile(const std::string& name, const std::string& text, ::mode_t mode)
        : path("/tmp/naq-sec-" + std::to_string(::getpid()) + "-" + name) {
        std::FILE* f = std::fopen(path.c_str(), "wb");
        std::fputs(text.c_str(), f);
        std::fclose(f);
        ::chmod(path.c_str(), mode);
    }
    ~TempFile() { std::remove(path.c_str()); }
    std::string path;
};

}  // namespace

TEST_CASE("security: the password or token may come from a file, and a bad file is a config error naming it",
          "[security][cli]") {
    LocalNatsServer server({"--user", "alice", "--pass", "S3cretPw"});
    TempFile password("pw", "S3cretPw\n", 0600);  // the newline editors add is not part of it
    Config c = test::config_for(server.url());
    c.nats.user = "alice";
    c.nats.password_file = password.path;
    test::QueueWithWorker authq("authq", c);
    authq.tasks.add_builtins(false);
    authq.start_worker();
    CHECK(authq.wait_result(authq.enqueue("echo", {{"x", 1}}), 20s).ok);

    const std::string naq =
        std::string(NAQ_BINARY) + " --url " + server.url() + " --set nats.connect_timeout=500ms --set nats.user=alice ";
    std::string out;
    // Missing: exit 2, naming the setting and the file, before any connection.
    CHECK(test::run_command(naq + "--set nats.password_file=/nonexistent/pw queues 2>&1", &out) == 2);
    CHECK_THAT(out, Catch::Contains("nats.password_file: /nonexistent/pw: cannot read (No such file or directory)"));
    CHECK(test::run_command(naq + "--set nats.password_file=/tmp queues 2>&1", &out) == 2);
    CHECK_THAT(out, Catch::Contains("not a regular file"));
    // Readable by others: it works, with a warning.
    TempFile shared("pw-shared", "S3cretPw", 0644);
    CHECK(test::run_command(naq + "--set nats.password_file=" + shared.path + " queues 2>&1", &out) == 0);
    CHECK_THAT(out, Catch::Contains("may be read by other users (mode 0644): chmod 600 it"));
    // A wrong password: cannot reach NATS (exit 5), and the password is not printed.
    TempFile wrong("pw-wrong", "S3cretWrong", 0600);
    CHECK(test::run_command(naq + "--set nats.password_file=" + wrong.path + " queues 2>&1", &out) == 5);
    CHECK(out.find("S3cret") == std::string::npos);
    // Both forms of one secret, or two ways to authenticate: exit 2.
    CHECK(test::run_command(naq + "--set nats.password_file=" + password.path + " --set nats.password=x queues",
                            &out) == 2);
    CHECK(test::run_command(naq + "--set nats.token=x queues", &out) == 2);
}

TEST_CASE("security: a token from a file authenticates, and TLS files that are missing or not PEM exit 2",
          "[security][cli]") {
    LocalNatsServer server({"--auth", "S3cretTok"});
    TempFile token("tok", "S3cretTok\n", 0600);
    Config c = test::config_for(server.url());
    c.nats.token_file = token.path;
    test::QueueWithWorker tokq("tokq", c);
    tokq.tasks.add_builtins(false);
    tokq.start_worker();
    CHECK(tokq.wait_result(tokq.enqueue("echo", {{"x", 1}}), 20s).ok);

    const std::string naq = std::string(NAQ_BINARY) + " --url " + server.url() + " --set nats.connect_timeout=500ms ";
    TempFile garbage("ca.pem", "this is not a certificate\n", 0644);
    std::string out;
    CHECK(test::run_command(naq + "--set nats.tls_ca=" + garbage.path + " queues 2>&1", &out) == 2);
    CHECK_THAT(out, Catch::Contains("nats.tls_ca: " + garbage.path + ": not usable as PEM certificates"));
    CHECK(test::run_command(naq + "--set nats.tls_ca=/nonexistent/ca.pem queues 2>&1", &out) == 2);
    CHECK_THAT(out, Catch::Contains("nats.tls_ca: /nonexistent/ca.pem: cannot read"));
    CHECK(test::run_command(naq + "--set nats.creds_file=/nonexistent/u.creds queues 2>&1", &out) == 2);
    CHECK_THAT(out, Catch::Contains("nats.creds_file: /nonexistent/u.creds: cannot read"));
}

TEST_CASE("security: a subject the server refuses is a permission error quoting the server and the subject",
          "[security][cli]") {
    // alice may do everything but publish jobs to one queue.
    TempFile conf("perm.conf",
                  "authorization { users = [ {user: \"alice\", password: \"S3cretPw\", permissions: "
                  "{publish: {deny: [\"*.queue.permq\"]}}} ] }\n",
                  0600);
    LocalNatsServer server({"-c", conf.path});
    Config c = test::config_for(with_password(server.url(), "S3cretPw"));
    c.nats.request_timeout = 1s;
    Queue allowed("otherq", c);
    CHECK_FALSE(allowed.enqueue("echo").empty());  // the user and the streams are fine
    Queue refused("permq", c);
    const std::string subject = names::queue_subject(c, "permq");
    try {
        refused.enqueue("echo");
        FAIL("the server refused nothing");
    } catch (const PermissionDenied& e) {
        CHECK_THAT(e.what(), Catch::Contains("Permissions Violation for Publish to") && Catch::Contains(subject));
    }

    // The CLI does not wait for the answer that never comes (30 s here): it stops at the
    // server's refusal.
    std::string out;
    const auto start = std::chrono::steady_clock::now();
    CHECK(test::run_command(std::string(NAQ_BINARY) + " --url " + c.nats.servers[0] + " --prefix " +
                                c.jetstream.prefix + " --set nats.request_timeout=30s enqueue -q permq echo 2>&1",
                            &out) == 6);
    CHECK(std::chrono::steady_clock::now() - start < 10s);
    CHECK_THAT(out, Catch::Contains("naq: permission denied:") && Catch::Contains(subject));
    CHECK(out.find("S3cret") == std::string::npos);
}
