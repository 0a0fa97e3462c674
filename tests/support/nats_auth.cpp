// Credentials for auth tests (see nats_auth.hpp). JWT claims follow nats-io/jwt v2.
#include "support/nats_auth.hpp"

#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "naq/json.hpp"
#include "support/test_env.hpp"

namespace naq::test {

using namespace std::chrono_literals;

namespace {

using detail::nkeys::KeyType;

Json claims(const std::string& issuer, const std::string& subject, const std::string& name, Json nats) {
    const auto now =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    // jti is an id only; the server checks the signature, not how the id was made.
    return Json{{"jti", detail::nkeys::create(KeyType::user).public_key.substr(1, 52)},
                {"iat", now},
                {"iss", issuer},
                {"name", name},
                {"sub", subject},
                {"nats", std::move(nats)}};
}

Json account_claims_body(bool jetstream) {
    const int storage = jetstream ? -1 : 0;  // 0 bytes of storage: no JetStream
    return Json{{"limits",
                 {{"subs", -1},
                  {"data", -1},
                  {"payload", -1},
                  {"imports", -1},
                  {"exports", -1},
                  {"wildcards", true},
                  {"conn", -1},
                  {"leaf", -1},
                  {"mem_storage", storage},
                  {"disk_storage", storage},
                  {"streams", -1},
                  {"consumer", -1}}},
                {"default_permissions", {{"pub", Json::object()}, {"sub", Json::object()}}},
                {"type", "account"},
                {"version", 2}};
}

}  // namespace

std::string NaqAs::command(const std::string& args) const {
    return std::string(NAQ_BINARY) + " --url " + url + " --prefix " + prefix +
           " --set nats.connect_timeout=2s --set nats.request_timeout=2s " + auth + " " + args;
}

std::string last_word(const std::string& out) {
    auto end = out.find_last_not_of(" \n");
    auto start = out.find_last_of(" \n", end);
    return out.substr(start + 1, end - start);
}

std::string read_file(const std::string& path) {
    std::ifstream in(path);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

int run(const std::string& command, std::string& out) {
    out.clear();
    return test::run_command(command, &out);
}

std::pair<int, std::chrono::milliseconds> timed(const std::string& command, std::string& out) {
    const auto start = std::chrono::steady_clock::now();
    int rc = run(command, out);
    return {rc, std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start)};
}

void runs_the_whole_path(const NaqAs& as, const std::string& queue, const std::string& secret, const std::string& log) {
    std::string out;
    std::string printed;
    test::ChildProcess worker(as.command("--log-level trace worker " + queue + " > " + log + " 2>&1"));
    REQUIRE(test::eventually(
        [&] { return run(as.command("workers 2>&1"), out) == 0 && out.find(queue) != std::string::npos; }, 20s));
    REQUIRE(run(as.command("enqueue -q " + queue + " echo --args '{\"via\":\"" + queue + "\"}' 2>&1"), out) == 0);
    const std::string id = last_word(out);
    CHECK(run(as.command("result --wait --timeout 20s " + id + " 2>&1"), out) == 0);
    CHECK_THAT(out, Catch::Contains(queue));
    CHECK(run(as.command("job " + id + " 2>&1"), out) == 0);
    CHECK_THAT(out, Catch::Contains("succeeded"));

    REQUIRE(run(as.command("schedule add -q " + queue + " echo --every 1s 2>&1"), out) == 0);
    test::ChildProcess scheduler(as.command("--log-level trace scheduler >> " + log + " 2>&1"));
    CHECK(test::eventually(
        [&] {
            if (run(as.command("--json events -q " + queue + " 2>&1"), out) != 0) return false;
            int succeeded = 0;
            for (auto at = out.find("\"succeeded\""); at != std::string::npos; at = out.find("\"succeeded\"", at + 1)) {
                ++succeeded;
            }
            return succeeded >= 2;  // the enqueued job and one the scheduler fired
        },
        20s));
    CHECK(scheduler.stop() == 0);
    CHECK(worker.stop() == 0);
    REQUIRE(run("cat " + log, printed) == 0);
    CHECK(printed.find("debug nats: connected to") != std::string::npos);  // written with every level on
    CHECK(printed.find(secret) == std::string::npos);
}

CredentialDir::CredentialDir() {
    static int counter = 0;
    dir_ = "/tmp/naq-auth-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
    std::filesystem::create_directories(dir_);
    ::chmod(dir_.c_str(), 0700);
}

CredentialDir::~CredentialDir() {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
}

std::string CredentialDir::write(const std::string& name, const std::string& text) const {
    const std::string file = dir_ + "/" + name;
    std::ofstream(file, std::ios::binary | std::ios::trunc) << text;
    ::chmod(file.c_str(), 0600);
    return file;
}

std::string sign_jwt(const std::string& issuer_seed, const std::string& claims_json) {
    const std::string signing_input = detail::nkeys::base64url_encode(R"({"typ":"JWT","alg":"ed25519-nkey"})") + "." +
                                      detail::nkeys::base64url_encode(claims_json);
    return signing_input + "." + detail::nkeys::base64url_encode(detail::nkeys::sign(issuer_seed, signing_input));
}

std::string creds_text(const std::string& user_jwt, const std::string& user_seed) {
    return "-----BEGIN NATS USER JWT-----\n" + user_jwt +
           "\n------END NATS USER JWT------\n\n"
           "************************* IMPORTANT *************************\n"
           "NKEY Seed printed below can be used to sign and prove identity.\n"
           "NKEYs are sensitive and should be treated as secrets.\n\n"
           "-----BEGIN USER NKEY SEED-----\n" +
           user_seed +
           "\n------END USER NKEY SEED------\n\n*************************************************************\n";
}

OperatorAuth::OperatorAuth(const CredentialDir& dir)
    : dir_(dir), operator_(detail::nkeys::create(KeyType::operator_key)) {
    operator_jwt_ = sign_jwt(operator_.seed, claims(operator_.public_key, operator_.public_key, "naq-test-operator",
                                                    Json{{"type", "operator"}, {"version", 2}})
                                                 .dump());
    system_account_ = add_account("SYS", false);
}

std::string OperatorAuth::add_account(const std::string& name, bool jetstream) {
    const auto& key = accounts_[name] = detail::nkeys::create(KeyType::account);
    account_jwts_[key.public_key] = sign_jwt(
        operator_.seed, claims(operator_.public_key, key.public_key, name, account_claims_body(jetstream)).dump());
    return key.public_key;
}

std::string OperatorAuth::add_user(const std::string& account, const std::string& user) {
    const auto& issuer = accounts_.at(account);
    const auto key = detail::nkeys::create(KeyType::user);
    Json body{{"pub", Json::object()}, {"sub", Json::object()}, {"subs", -1},  {"data", -1},
              {"payload", -1},         {"type", "user"},        {"version", 2}};
    const std::string jwt =
        sign_jwt(issuer.seed, claims(issuer.public_key, key.public_key, user, std::move(body)).dump());
    return dir_.write(account + "-" + user + ".creds", creds_text(jwt, key.seed));
}

std::string OperatorAuth::server_config() const {
    std::string conf = "operator: \"" + operator_jwt_ + "\"\nsystem_account: " + system_account_ +
                       "\nresolver: MEMORY\nresolver_preload: {\n";
    for (const auto& [account, jwt] : account_jwts_) conf += "  " + account + ": \"" + jwt + "\"\n";
    conf += "}\n";
    return dir_.write("operator.conf", conf);
}

}  // namespace naq::test
