// Credentials for auth tests, made at test time with no network and no NATS tooling: nkey seed
// files, and an operator-mode setup (operator, system account, accounts with JetStream, users)
// whose JWTs are signed here with nkeys (src/connection/nkeys.hpp) and whose server config
// preloads them (resolver: MEMORY).
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <utility>

#include "connection/nkeys.hpp"

namespace naq::test {

/// A temp directory of credential files (mode 0600), removed with it.
class CredentialDir {
public:
    CredentialDir();
    ~CredentialDir();
    CredentialDir(const CredentialDir&) = delete;
    CredentialDir& operator=(const CredentialDir&) = delete;

    /// Writes `text` to `name` in the directory; returns its path.
    std::string write(const std::string& name, const std::string& text) const;
    const std::string& path() const { return dir_; }

private:
    std::string dir_;
};

/// A NATS JWT: "<header>.<claims>.<signature>", signed by `issuer_seed`.
std::string sign_jwt(const std::string& issuer_seed, const std::string& claims_json);

/// A .creds file's text: the user JWT and the user's seed, as nsc writes it.
std::string creds_text(const std::string& user_jwt, const std::string& user_seed);

/// Operator mode: an operator signs accounts, accounts sign users.
class OperatorAuth {
public:
    explicit OperatorAuth(const CredentialDir& dir);

    /// A new account (no limits; JetStream enabled unless it is the system account); returns
    /// its public key.
    std::string add_account(const std::string& name, bool jetstream = true);
    /// A user of `account` (by name): the path of its .creds file.
    std::string add_user(const std::string& account, const std::string& user);
    /// A nats-server config file that trusts the operator and preloads every account.
    std::string server_config() const;

private:
    const CredentialDir& dir_;
    detail::nkeys::KeyPair operator_;
    std::string operator_jwt_;
    std::string system_account_;
    std::map<std::string, detail::nkeys::KeyPair> accounts_;  // by name
    std::map<std::string, std::string> account_jwts_;         // by public key
};

/// `naq` against `url` under `prefix`, as whoever `auth` (--set options) says.
struct NaqAs {
    std::string command(const std::string& args) const;
    std::string url;
    std::string prefix;
    std::string auth;
};

std::string read_file(const std::string& path);

/// The last whitespace-separated word of a command's output (an id).
std::string last_word(const std::string& out);

/// Runs a command: its exit code, its output (stdout, and stderr where redirected) in `out`.
int run(const std::string& command, std::string& out);

/// Runs a command; returns its exit code and how long it took.
std::pair<int, std::chrono::milliseconds> timed(const std::string& command, std::string& out);

/// Everything a deployment does, as `as`: a worker serves, enqueue + result --wait, naq job,
/// naq workers, and a schedule the scheduler fires runs. Nothing printed or logged (the worker
/// and scheduler with every level on, into `log`) holds `secret`. Checks with Catch.
void runs_the_whole_path(const NaqAs& as, const std::string& queue, const std::string& secret, const std::string& log);

}  // namespace naq::test
