// Least-privilege roles: a nats-server whose users have exactly what
// `naq config permissions --role` prints; each role runs its commands, and what a role must not
// do is refused by the server (exit 6).
#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <optional>
#include <string>

#include "naq/local_server.hpp"
#include "support/nats_auth.hpp"
#include "support/test_env.hpp"

using namespace naq;
using namespace std::chrono_literals;

namespace {

const std::string kPrefix = "roles" + std::to_string(::getpid());
const std::string kQueue = "rolesq";

std::string naq_as(const LocalNatsServer& server, const std::string& user, const std::string& args) {
    return std::string(NAQ_BINARY) + " --url nats://" + user + ":pw-" + user +
           "@127.0.0.1:" + std::to_string(server.port()) + " --prefix " + kPrefix + " --set nats.request_timeout=1s " +
           args;
}

// `naq config permissions` for a role, as the user entry of a server config.
std::string user_entry(const std::string& role) {
    std::string block;
    const std::string queues = role == "admin" ? "" : " -q " + kQueue;  // an admin has every queue
    REQUIRE(test::run_command(
                std::string(NAQ_BINARY) + " --prefix " + kPrefix + " config permissions --role " + role + queues,
                &block) == 0);
    return "{user: \"" + role + "\", password: \"pw-" + role + "\", " + block + "}\n";
}

struct RolesServer {
    RolesServer() : conf("/tmp/naq-roles-" + std::to_string(::getpid()) + ".conf") {
        std::ofstream(conf) << "authorization { users = [\n"
                            << user_entry("producer") << user_entry("worker") << user_entry("scheduler")
                            << user_entry("operator") << user_entry("admin") << "] }\n";
        server.emplace(std::vector<std::string>{"-c", conf});
    }
    ~RolesServer() { std::remove(conf.c_str()); }
    std::string conf;
    std::optional<LocalNatsServer> server;
};

}  // namespace

TEST_CASE("roles: each role runs its commands with only its permissions, and nothing more", "[security][roles]") {
    RolesServer roles;
    const LocalNatsServer& server = *roles.server;
    std::string out;

    // The worker owns the queue's streams and buckets: it creates them and serves.
    test::ChildProcess worker(naq_as(server, "worker", "worker " + kQueue + " > /dev/null 2>&1"));
    REQUIRE(test::eventually(
        [&] {
            return test::run_command(naq_as(server, "operator", "workers 2>&1"), &out) == 0 &&
                   out.find(kQueue) != std::string::npos;
        },
        20s));

    // producer: enqueue and wait for the result, read the job record.
    REQUIRE(test::run_command(naq_as(server, "producer", "enqueue -q " + kQueue + " echo --args '{\"r\":1}' 2>&1"),
                              &out) == 0);
    const std::string id = test::last_word(out);
    CHECK(test::run_command(naq_as(server, "producer", "result --wait --timeout 20s " + id + " 2>&1"), &out) == 0);
    CHECK_THAT(out, Catch::Contains("\"r\""));
    CHECK(test::run_command(naq_as(server, "producer", "job " + id + " 2>&1"), &out) == 0);
    // Priorities: the producer publishes to the queue's high level, the worker's high consumer
    // runs it.
    REQUIRE(test::run_command(naq_as(server, "producer", "enqueue -q " + kQueue + " echo --priority high 2>&1"),
                              &out) == 0);
    CHECK(test::run_command(naq_as(server, "producer", "result --wait --timeout 20s " + test::last_word(out) + " 2>&1"),
                            &out) == 0);
    // Unique jobs: the producer takes a key (creating the bucket); once the worker finished the
    // job, the next enqueue takes the key again.
    const std::string unique = "enqueue -q " + kQueue + " echo --arg u=1 --unique-for 1h 2>&1";
    REQUIRE(test::run_command(naq_as(server, "producer", unique), &out) == 0);
    const std::string unique_id = test::last_word(out);
    CHECK(test::run_command(naq_as(server, "producer", "result --wait --timeout 20s " + unique_id + " 2>&1"), &out) ==
          0);
    REQUIRE(test::run_command(naq_as(server, "producer", unique), &out) == 0);
    CHECK(test::last_word(out) != unique_id);
    // ... but may not empty the queue, nor serve it.
    CHECK(test::run_command(naq_as(server, "producer", "purge " + kQueue + " --yes 2>&1"), &out) == 6);
    CHECK_THAT(out, Catch::Contains("Permissions Violation"));
    CHECK(test::run_command(naq_as(server, "producer", "worker " + kQueue + " 2>&1"), &out) != 0);
    CHECK_THAT(out, Catch::Contains("Permissions Violation"));

    // scheduler: stores a schedule and fires it; the worker runs what it fired.
    REQUIRE(test::run_command(naq_as(server, "scheduler", "schedule add -q " + kQueue + " echo --every 1s 2>&1"),
                              &out) == 0);
    {
        test::ChildProcess scheduler(naq_as(server, "scheduler", "scheduler > /dev/null 2>&1"));
        // A second succeeded job on the queue: the producer's, then one the scheduler fired.
        CHECK(test::eventually(
            [&] {
                if (test::run_command(naq_as(server, "operator", "--json events -q " + kQueue + " 2>&1"), &out) != 0) {
                    return false;
                }
                int succeeded = 0;
                for (auto at = out.find("\"succeeded\""); at != std::string::npos;
                     at = out.find("\"succeeded\"", at + 1)) {
                    ++succeeded;
                }
                return succeeded >= 2;
            },
            20s));
    }

    // operator: every read-only view works; writing does not.
    for (const char* view : {"queues", "workers", "dead list", "schedule list", "events"}) {
        INFO(view);
        CHECK(test::run_command(naq_as(server, "operator", std::string(view) + " 2>&1"), &out) == 0);
    }
    CHECK(test::run_command(naq_as(server, "operator", "job " + id + " 2>&1"), &out) == 0);
    CHECK(test::run_command(naq_as(server, "operator", "result " + id + " 2>&1"), &out) == 0);
    CHECK(test::run_command(naq_as(server, "operator", "enqueue -q " + kQueue + " echo 2>&1"), &out) == 6);
    CHECK(test::run_command(naq_as(server, "operator", "purge " + kQueue + " --yes 2>&1"), &out) == 6);
    CHECK(worker.stop() == 0);
}

TEST_CASE("roles: naq config permissions names the subjects of the prefix and queues given", "[security][roles]") {
    std::string out;
    REQUIRE(test::run_command(std::string(NAQ_BINARY) + " --prefix acme config permissions --role producer -q a -q b",
                              &out) == 0);
    CHECK_THAT(out, Catch::Contains("\"acme.queue.a\"") && Catch::Contains("\"acme.queue.b\""));
    CHECK(out.find("acme.queue.*") == std::string::npos);
    CHECK(out.find("STREAM.PURGE") == std::string::npos);
    REQUIRE(test::run_command(std::string(NAQ_BINARY) + " --json config permissions --role operator", &out) == 0);
    CHECK_THAT(out, Catch::Contains("\"$JS.API.STREAM.INFO.naq_jobs\""));
    CHECK(out.find("naq.queue") == std::string::npos);  // read-only: no job subject
    CHECK(test::run_command(std::string(NAQ_BINARY) + " config permissions --role root 2>&1", &out) == 2);
    CHECK_THAT(out, Catch::Contains("not a role"));
    out.clear();
    CHECK(test::run_command(std::string(NAQ_BINARY) + " config permissions --role admin -q a 2>&1", &out) == 2);
    CHECK_THAT(out, Catch::Contains("--role admin covers every queue of the prefix"));
    out.clear();
    REQUIRE(test::run_command(std::string(NAQ_BINARY) + " --prefix acme config permissions --role admin", &out) == 0);
    CHECK_THAT(out, Catch::Contains("\"acme.>\"") && Catch::Contains("\"$JS.API.STREAM.*.acme_jobs\""));
    CHECK(out.find("naq_") == std::string::npos);  // nothing of another prefix
}

TEST_CASE(
    "roles: an admin purges, requeues and purges dead letters, pauses, limits and modifies schedules, on its "
    "prefix only",
    "[security][roles]") {
    RolesServer roles;
    const LocalNatsServer& server = *roles.server;
    std::string out;
    auto admin = [&](const std::string& args) {
        out.clear();
        return test::run_command(naq_as(server, "admin", args + " 2>&1"), &out);
    };
    test::ChildProcess worker(naq_as(server, "worker", "worker " + kQueue + " > /dev/null 2>&1"));
    REQUIRE(test::eventually([&] { return admin("workers") == 0 && out.find(kQueue) != std::string::npos; }, 20s));

    // A job of a task no worker has is dead-lettered; the admin requeues it, then purges it.
    REQUIRE(admin("enqueue -q " + kQueue + " no_such_task") == 0);
    REQUIRE(test::eventually(
        [&] { return admin("dead list " + kQueue) == 0 && out.find("no_such_task") != std::string::npos; }, 20s));
    CHECK(admin("dead requeue --all -q " + kQueue) == 0);
    REQUIRE(test::eventually(
        [&] { return admin("dead list " + kQueue) == 0 && out.find("no_such_task") != std::string::npos; }, 20s));
    CHECK(admin("dead purge " + kQueue + " --yes") == 0);
    CHECK(admin("dead list " + kQueue) == 0);
    CHECK(out.find("no_such_task") == std::string::npos);

    CHECK(admin("queue pause " + kQueue + " --reason maintenance") == 0);
    CHECK(admin("queue limit " + kQueue + " --rate 10/s --concurrency 2") == 0);
    CHECK(admin("queue resume " + kQueue) == 0);
    CHECK(admin("queue limit " + kQueue + " --clear") == 0);
    REQUIRE(admin("schedule add -q " + kQueue + " echo --every 1h --id nightly") == 0);
    CHECK(admin("schedule modify nightly --every 2h") == 0);
    CHECK(admin("schedule cancel nightly") == 0);
    CHECK(admin("purge " + kQueue + " --yes") == 0);
    // The worker serves on, under the admin's changes: a job still runs.
    REQUIRE(admin("enqueue -q " + kQueue + " echo -w -t 20s") == 0);

    // Another prefix is out of reach: its streams' API subjects are not the admin's.
    std::string other = naq_as(server, "admin", "purge " + kQueue + " --yes 2>&1");
    other.replace(other.find(" --prefix " + kPrefix), kPrefix.size() + 10, " --prefix other" + kPrefix);
    out.clear();
    CHECK(test::run_command(other, &out) == 6);
    CHECK_THAT(out, Catch::Contains("Permissions Violation"));
    CHECK(worker.stop() == 0);
}
