// Config::validate(), describe() and the process-wide default config.
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "config/config_keys.hpp"
#include "config/redact.hpp"
#include "config/value_parsing.hpp"
#include "naq/config.hpp"
#include "naq/errors.hpp"

namespace naq {

namespace {

/// Where `key` was set, as an error message prefix ("naq.yaml", "env NAQ_X"); "" for defaults
/// and for values changed in code.
std::string where_of(const Config& config, const std::string& key) {
    const auto it = config.origins.find(key);
    return it == config.origins.end() ? std::string() : detail::where_from_origin(it->second);
}

/// A rule between two keys failed: the message is prefixed with where either of them was set.
[[noreturn]] void cross_field_error(const Config& config, const std::string& key_a, const std::string& key_b,
                                    const std::string& message) {
    std::string where = where_of(config, key_a);
    const std::string where_b = where_of(config, key_b);
    if (!where_b.empty() && where_b != where) where += (where.empty() ? "" : ", ") + where_b;
    throw ConfigError((where.empty() ? "" : where + ": ") + message);
}

void check_both_or_neither(const Config& config, const std::string& key_a, const std::string& value_a,
                           const std::string& key_b, const std::string& value_b, const std::string& why) {
    if (!value_a.empty() && value_b.empty()) {
        cross_field_error(config, key_a, key_b, key_a + " is set but " + key_b + " is not: " + why);
    }
    if (value_a.empty() && !value_b.empty()) {
        cross_field_error(config, key_a, key_b, key_b + " is set but " + key_a + " is not: " + why);
    }
}

void check_shorter(const Config& config, const std::string& short_key, Millis short_value, const std::string& long_key,
                   Millis long_value, const std::string& why) {
    if (short_value >= long_value) {
        cross_field_error(config, short_key, long_key,
                          short_key + " (" + format_duration(short_value) + ") must be shorter than " + long_key +
                              " (" + format_duration(long_value) + "): " + why);
    }
}

/// The default config and every one it replaced: references handed out by default_config()
/// stay valid for the life of the process, and set_default_config() is called rarely.
struct DefaultConfigHolder {
    std::mutex mutex;
    std::shared_ptr<const Config> current;
    std::vector<std::shared_ptr<const Config>> retired;
};

DefaultConfigHolder& default_holder() {
    static DefaultConfigHolder holder;
    return holder;
}

}  // namespace

void Config::validate() const {
    // Ranges: fields may have been changed in code, so every value must parse back through
    // its own key's rules.
    Config scratch;
    for (const auto& d : detail::config_keys()) {
        const std::string text = d.format(*this);
        if (!d.parse(scratch, text)) detail::throw_bad_value(where_of(*this, d.key), d, text);
    }

    check_both_or_neither(*this, "nats.tls_cert", nats.tls_cert, "nats.tls_key", nats.tls_key,
                          "a client certificate needs its private key");
    if (!nats.password.empty() && !nats.password_file.empty()) {
        cross_field_error(*this, "nats.password", "nats.password_file", "give nats.password or nats.password_file");
    }
    if (!nats.token.empty() && !nats.token_file.empty()) {
        cross_field_error(*this, "nats.token", "nats.token_file", "give nats.token or nats.token_file");
    }
    const std::string token_key = nats.token.empty() ? "nats.token_file" : "nats.token";
    const bool token = !nats.token.empty() || !nats.token_file.empty();
    std::vector<std::string> auth_keys;
    if (!nats.user.empty()) auth_keys.push_back("nats.user");
    if (token) auth_keys.push_back(token_key);
    if (!nats.creds_file.empty()) auth_keys.push_back("nats.creds_file");
    if (!nats.nkey_seed_file.empty()) auth_keys.push_back("nats.nkey_seed_file");
    if (auth_keys.size() > 1) {
        cross_field_error(*this, auth_keys[0], auth_keys[1],
                          "give one way to authenticate: nats.user + nats.password, nats.token, nats.creds_file or "
                          "nats.nkey_seed_file (the server would see only one of them)");
    }
    if ((!nats.password.empty() || !nats.password_file.empty()) && nats.user.empty()) {
        const std::string key = nats.password.empty() ? "nats.password_file" : "nats.password";
        cross_field_error(*this, key, "nats.user", key + " is set but nats.user is not");
    }
    check_shorter(*this, "scheduler.lock_renew", scheduler.lock_renew, "scheduler.lock_ttl", scheduler.lock_ttl,
                  "the leader must renew its lease before it expires");
    check_shorter(*this, "worker.heartbeat_interval", worker.heartbeat_interval, "worker.worker_ttl", worker.worker_ttl,
                  "a live worker must heartbeat before its record expires");
    if (queue.max_attempts > worker.max_deliveries) {
        cross_field_error(*this, "queue.max_attempts", "worker.max_deliveries",
                          "queue.max_attempts (" + std::to_string(queue.max_attempts) + ") must not exceed " +
                              "worker.max_deliveries (" + std::to_string(worker.max_deliveries) +
                              "): a job is never delivered more often than that");
    }
    if (queue.backoff_base > queue.backoff_max) {
        cross_field_error(*this, "queue.backoff_base", "queue.backoff_max",
                          "queue.backoff_base (" + format_duration(queue.backoff_base) + ") must not exceed " +
                              "queue.backoff_max (" + format_duration(queue.backoff_max) + ")");
    }
}

std::vector<ConfigEntry> describe(const Config& config) {
    std::vector<ConfigEntry> entries;
    for (const auto& d : detail::config_keys()) {
        ConfigEntry entry;
        entry.key = d.key;
        entry.value = detail::redact_url_credentials(d.format(config));  // for display: no password
        const auto origin = config.origins.find(d.key);
        entry.origin = origin == config.origins.end() ? "default" : origin->second;
        entry.env = d.env;
        entry.help = d.help;
        entry.env_aliases = d.env_aliases;
        entry.type = d.type;
        entry.expected = d.expected;
        entry.secret = d.secret;
        entries.push_back(std::move(entry));
    }
    return entries;
}

const Config& default_config() {
    auto& holder = default_holder();
    std::lock_guard lock(holder.mutex);
    if (!holder.current) holder.current = std::make_shared<const Config>(Config::load());
    return *holder.current;
}

void set_default_config(Config config) {
    auto next = std::make_shared<const Config>(std::move(config));
    auto& holder = default_holder();
    std::lock_guard lock(holder.mutex);
    if (holder.current) holder.retired.push_back(std::move(holder.current));
    holder.current = std::move(next);
}

}  // namespace naq
