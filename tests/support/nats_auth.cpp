// Credentials for auth tests (see nats_auth.hpp). JWT claims follow nats-io/jwt v2.
#include "support/nats_auth.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>

#include "naq/json.hpp"

namespace naq::test {

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
