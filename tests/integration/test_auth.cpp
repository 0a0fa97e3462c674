// NATS authentication against a real nats-server configured for each method: an nkey seed file,
// a creds file in operator mode (operator, account and user JWTs signed at test time), and
// accounts as tenants. Each method runs a worker, enqueue, result --wait, job, workers and the
// scheduler; wrong credentials fail at once with exit 5 naming the cause and never the secret.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <chrono>
#include <fstream>
#include <string>
#include <vector>

#include "naq/local_server.hpp"
#include "support/nats_auth.hpp"
#include "support/test_env.hpp"

using naq::test::last_word;
using naq::test::NaqAs;
using naq::test::read_file;
using naq::test::run;
using naq::test::runs_the_whole_path;
using naq::test::timed;

using namespace naq;
using namespace std::chrono_literals;
using detail::nkeys::KeyType;

namespace {

// A connection the server refuses: exit 5 within a couple of seconds (no reconnect loop, no
// request timeout), saying authorization failed, never quoting `secret`.
void refused_at_once(const NaqAs& as, const std::string& secret) {
    std::string out;
    auto [rc, took] = timed(as.command("--log-level trace queues 2>&1"), out);
    INFO(out);
    CHECK(rc == 5);
    CHECK(took < 5s);
    CHECK_THAT(out, Catch::Contains("Authorization Violation"));
    CHECK(out.find(secret) == std::string::npos);
}

}  // namespace

TEST_CASE("auth: an nkey seed file authenticates, a seed the server does not list is exit 5 at once",
          "[security][auth]") {
    test::CredentialDir dir;
    const auto user = detail::nkeys::create(KeyType::user);
    const auto stranger = detail::nkeys::create(KeyType::user);
    const std::string conf =
        dir.write("nkey.conf", "authorization { users = [ { nkey: " + user.public_key + " } ] }\n");
    LocalNatsServer server({"-c", conf});
    const std::string prefix = "nk" + std::to_string(::getpid());

    NaqAs as{server.url(), prefix, "--set nats.nkey_seed_file=" + dir.write("user.nk", user.seed + "\n")};
    runs_the_whole_path(as, "nkeyq", user.seed, dir.path() + "/nkey.log");

    refused_at_once({server.url(), prefix, "--set nats.nkey_seed_file=" + dir.write("stranger.nk", stranger.seed)},
                    stranger.seed);
    refused_at_once({server.url(), prefix, ""}, user.seed);  // no credentials at all

    // A file without a seed, or with a broken one, is a local mistake: exit 2 naming the setting,
    // before any connection; never the file's text.
    std::string out;
    std::string broken = user.seed;
    broken[30] = broken[30] == 'A' ? 'B' : 'A';
    for (const auto& [file, says] :
         {std::pair{dir.write("empty.nk", "\n"), std::string("the file is empty")},
          {dir.write("pub.nk", user.public_key), "no nkey seed in it"},
          {dir.write("broken.nk", broken), "not an nkey seed (its checksum does not match)"},
          {dir.write("account.nk", detail::nkeys::create(KeyType::account).seed), "a user's seed starts with SU"}}) {
        CHECK(run(NaqAs{server.url(), prefix, "--set nats.nkey_seed_file=" + file}.command("queues 2>&1"), out) == 2);
        CHECK_THAT(out, Catch::Contains("nats.nkey_seed_file: " + file + ": " + says));
        CHECK(out.find(broken) == std::string::npos);
    }
    // Two ways to authenticate at once: refused, naming both.
    CHECK(run(as.command("--set nats.token=t queues 2>&1"), out) == 2);
    CHECK_THAT(out, Catch::Contains("nats.nkey_seed_file"));
}

TEST_CASE(
    "auth: a creds file in operator mode (JWTs) authenticates; a user of another operator, or a seed that is "
    "not the JWT's, is exit 5 at once",
    "[security][auth]") {
    test::CredentialDir dir;
    test::OperatorAuth op(dir);
    op.add_account("APP");
    const std::string creds = op.add_user("APP", "app");
    LocalNatsServer server({"-c", op.server_config()});
    const std::string prefix = "jwt" + std::to_string(::getpid());

    runs_the_whole_path({server.url(), prefix, "--set nats.creds_file=" + creds}, "jwtq",
                        detail::nkeys::find_seed(read_file(creds)), dir.path() + "/jwt.log");

    // A user signed by an account of another operator, which this server does not trust.
    test::CredentialDir other_dir;
    test::OperatorAuth other(other_dir);
    other.add_account("APP");
    const std::string foreign = other.add_user("APP", "app");
    refused_at_once({server.url(), prefix, "--set nats.creds_file=" + foreign},
                    detail::nkeys::find_seed(read_file(foreign)));

    // The right JWT with another user's seed: the server's nonce signature does not verify.
    std::ifstream creds_in(creds);
    std::string jwt;
    std::getline(creds_in, jwt);  // the BEGIN line
    std::getline(creds_in, jwt);
    const auto impostor = detail::nkeys::create(KeyType::user);
    const std::string swapped = dir.write("swapped.creds", test::creds_text(jwt, impostor.seed));
    refused_at_once({server.url(), prefix, "--set nats.creds_file=" + swapped}, impostor.seed);
}

TEST_CASE("auth: two accounts on one server are two tenants: same prefix, same queue, neither sees the other's jobs",
          "[security][auth][tenants]") {
    test::CredentialDir dir;
    const std::string conf =
        dir.write("tenants.conf",
                  "accounts {\n"
                  "  ACME: { jetstream: enabled, users: [ {user: acme, password: pw-acme} ] }\n"
                  "  GLOBEX: { jetstream: enabled, users: [ {user: globex, password: pw-globex} ] }\n"
                  "}\n");
    LocalNatsServer server({"-c", conf});
    const std::string port = std::to_string(server.port());
    // Both use naq's default prefix and the same queue name: only the account keeps them apart.
    NaqAs acme{"nats://acme:pw-acme@127.0.0.1:" + port, "naq", ""};
    NaqAs globex{"nats://globex:pw-globex@127.0.0.1:" + port, "naq", ""};
    std::string out;

    std::vector<std::string> globex_ids;
    for (int i = 0; i < 5; ++i) {
        REQUIRE(run(globex.command("enqueue -q shared echo --args '{\"tenant\":\"globex\"}' 2>&1"), out) == 0);
        globex_ids.push_back(last_word(out));
    }
    {
        test::ChildProcess acme_worker(acme.command("worker shared > /dev/null 2>&1"));
        for (int i = 0; i < 5; ++i) {
            REQUIRE(run(acme.command("enqueue -q shared echo --args '{\"tenant\":\"acme\"}' -w -t 20s 2>&1"), out) ==
                    0);
            CHECK_THAT(out, Catch::Contains("acme"));
        }
        // ACME's worker ran ACME's five and none of GLOBEX's, which it cannot even look up.
        CHECK(run(acme.command("job " + globex_ids[0] + " 2>&1"), out) != 0);
        CHECK(run(globex.command("--json queues 2>&1"), out) == 0);
        CHECK_THAT(out, Catch::Contains("\"pending\": 5,"));
        CHECK(run(globex.command("workers 2>&1"), out) == 0);
        CHECK_THAT(out, !Catch::Contains("shared"));  // ACME's worker is not listed to GLOBEX
        CHECK(acme_worker.stop() == 0);
    }
    test::ChildProcess globex_worker(globex.command("worker shared > /dev/null 2>&1"));
    for (const auto& id : globex_ids) {
        CHECK(run(globex.command("result --wait --timeout 20s " + id + " 2>&1"), out) == 0);
        CHECK_THAT(out, Catch::Contains("globex"));
    }
    CHECK(globex_worker.stop() == 0);
}

TEST_CASE("auth: of two servers, one refusing the credentials and one down, the refusal is reported, in either order",
          "[security][auth]") {
    LocalNatsServer server({"--user", "alice", "--pass", "right-password"});
    LocalNatsServer down;
    const std::string down_url = down.url();
    down.stop();
    const std::string refusing = "nats://alice:S3cret-wrong@127.0.0.1:" + std::to_string(server.port());
    std::string out;
    // cnats tries the servers in random order: several runs see both orders.
    for (int i = 0; i < 4; ++i) {
        const std::string urls = i % 2 == 0 ? refusing + "," + down_url : down_url + "," + refusing;
        auto [rc, took] = timed(std::string(NAQ_BINARY) + " --url " + urls + " queues 2>&1", out);
        INFO(out);
        CHECK(rc == 5);
        CHECK(took < 10s);
        CHECK_THAT(out, Catch::Contains("Authorization Violation"));
        CHECK(out.find("S3cret-wrong") == std::string::npos);
    }
}

TEST_CASE(
    "auth: user and password, and a token, each from a file, run the whole path, and wrong ones are exit 5 at once",
    "[security][auth]") {
    test::CredentialDir dir;
    const std::string prefix = "up" + std::to_string(::getpid());
    {
        LocalNatsServer server({"--user", "alice", "--pass", "Right-Pass-1"});
        runs_the_whole_path({server.url(), prefix,
                             "--set nats.user=alice --set nats.password_file=" + dir.write("pass", "Right-Pass-1\n")},
                            "userq", "Right-Pass-1", dir.path() + "/user.log");
        refused_at_once({server.url(), prefix, "--set nats.user=alice --set nats.password=Wrong-Pass-2"},
                        "Wrong-Pass-2");
        refused_at_once({server.url(), prefix, ""}, "Right-Pass-1");
    }
    {
        LocalNatsServer server({"--auth", "Right-Token-3"});
        runs_the_whole_path({server.url(), prefix, "--set nats.token_file=" + dir.write("token", "Right-Token-3\n")},
                            "tokenq", "Right-Token-3", dir.path() + "/token.log");
        refused_at_once({server.url(), prefix, "--set nats.token=Wrong-Token-4"}, "Wrong-Token-4");
    }
}
