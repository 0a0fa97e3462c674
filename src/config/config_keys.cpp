// The table of config keys (see config_keys.hpp) and the small helpers that build its rows.
// Ranges are documented in docs/configuration.md; keep the two in step.
#include "config/config_keys.hpp"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <utility>

#include "config/setting_names.hpp"
#include "config/value_parsing.hpp"
#include "naq/errors.hpp"

namespace naq::detail {

namespace {

constexpr int64_t kNoMax = std::numeric_limits<int64_t>::max();

/// Names one field of Config, e.g. Field{&Config::worker, &WorkerSettings::concurrency}.
template <class Section, class T>
struct Field {
    Section Config::*section;
    T Section::*member;
    T& of(Config& config) const { return (config.*section).*member; }
    const T& of(const Config& config) const { return (config.*section).*member; }
};
// Spelled out for compilers without aggregate deduction (clang before 17, used for fuzzing).
template <class Section, class T>
Field(Section Config::*, T Section::*) -> Field<Section, T>;

KeyDescriptor row(std::string key, std::string type, std::string expected, std::string help) {
    KeyDescriptor d;
    d.env = env_name(key);
    d.key = std::move(key);
    d.type = std::move(type);
    d.expected = std::move(expected);
    d.help = std::move(help);
    return d;
}

template <class S, class T>
KeyDescriptor integer(std::string key, Field<S, T> field, int64_t min, int64_t max, std::string help,
                      bool minus_one_is_unlimited = false) {
    std::string expected = max == kNoMax ? "an integer >= " + std::to_string(min)
                                         : "an integer from " + std::to_string(min) + " to " + std::to_string(max);
    if (minus_one_is_unlimited) expected = "-1 (unlimited) or " + expected;
    KeyDescriptor d = row(std::move(key), "integer", std::move(expected), std::move(help));
    d.parse = [=](Config& config, std::string_view text) {
        const auto value = parse_integer(text);
        if (!value) return false;
        const bool ok = (*value >= min && *value <= max) || (minus_one_is_unlimited && *value == -1);
        if (!ok || *value < std::numeric_limits<T>::min() || *value > std::numeric_limits<T>::max()) return false;
        field.of(config) = static_cast<T>(*value);
        return true;
    };
    d.format = [=](const Config& config) { return std::to_string(field.of(config)); };
    return d;
}

template <class S>
KeyDescriptor integer_one_of(std::string key, Field<S, int> field, std::vector<int> allowed, std::string help) {
    std::string expected = "one of";
    for (std::size_t i = 0; i < allowed.size(); ++i) expected += (i ? ", " : " ") + std::to_string(allowed[i]);
    KeyDescriptor d = row(std::move(key), "integer", std::move(expected), std::move(help));
    d.parse = [=](Config& config, std::string_view text) {
        const auto value = parse_integer(text);
        if (!value || std::find(allowed.begin(), allowed.end(), *value) == allowed.end()) return false;
        field.of(config) = static_cast<int>(*value);
        return true;
    };
    d.format = [=](const Config& config) { return std::to_string(field.of(config)); };
    return d;
}

template <class S>
KeyDescriptor duration(std::string key, Field<S, Millis> field, Millis min, Millis max, std::string help) {
    KeyDescriptor d = row(std::move(key), "duration",
                          "a duration from " + format_duration(min) + " to " + format_duration(max) +
                              " (e.g. 30s, 250ms, 1.5h, 7d; a bare number is seconds)",
                          std::move(help));
    d.parse = [=](Config& config, std::string_view text) {
        const auto value = parse_duration(text);
        if (!value || *value < min || *value > max) return false;
        field.of(config) = *value;
        return true;
    };
    d.format = [=](const Config& config) { return format_duration(field.of(config)); };
    return d;
}

template <class S>
KeyDescriptor boolean(std::string key, Field<S, bool> field, std::string help) {
    KeyDescriptor d = row(std::move(key), "bool", "true/false, yes/no or 1/0", std::move(help));
    d.parse = [=](Config& config, std::string_view text) {
        const auto value = parse_bool(text);
        if (!value) return false;
        field.of(config) = *value;
        return true;
    };
    d.format = [=](const Config& config) { return std::string(field.of(config) ? "true" : "false"); };
    return d;
}

/// Any text, kept as written (blanks around it trimmed).
template <class S>
KeyDescriptor text(std::string key, Field<S, std::string> field, std::string help, bool secret = false) {
    KeyDescriptor d = row(std::move(key), "string", "a string", std::move(help));
    d.secret = secret;
    d.parse = [=](Config& config, std::string_view value) {
        field.of(config) = std::string(trim(value));
        return true;
    };
    d.format = [=](const Config& config) { return field.of(config); };
    return d;
}

/// A list of environment variable names ([A-Za-z_][A-Za-z0-9_]*); may be empty.
template <class S>
KeyDescriptor env_names(std::string key, Field<S, std::vector<std::string>> field, std::string help) {
    KeyDescriptor d =
        row(std::move(key), "list", "environment variable names, as a YAML list or comma-separated (may be empty)",
            std::move(help));
    d.is_list = true;
    d.parse = [=](Config& config, std::string_view value) {
        auto names = split_list(value);
        const bool ok = std::all_of(names.begin(), names.end(), [](const std::string& n) {
            return !n.empty() && !(n[0] >= '0' && n[0] <= '9') && std::all_of(n.begin(), n.end(), [](char c) {
                return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
            });
        });
        if (ok) field.of(config) = std::move(names);
        return ok;
    };
    d.format = [=](const Config& config) { return join_list(field.of(config)); };
    return d;
}

/// A name that becomes part of NATS subjects and bucket names: 1-64 of [A-Za-z0-9_-].
template <class S>
KeyDescriptor token(std::string key, Field<S, std::string> field, std::string help) {
    KeyDescriptor d = row(std::move(key), "string", "1 to 64 characters of A-Z a-z 0-9 _ -", std::move(help));
    d.parse = [=](Config& config, std::string_view value) {
        value = trim(value);
        const bool ok = !value.empty() && value.size() <= 64 && std::all_of(value.begin(), value.end(), [](char c) {
            return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
        });
        if (ok) field.of(config) = std::string(value);
        return ok;
    };
    d.format = [=](const Config& config) { return field.of(config); };
    return d;
}

/// An enum setting: one of the lower-case words of its table (setting_names.hpp), any case;
/// `synonyms` map other accepted spellings onto them.
template <class S, class E, std::size_t N>
KeyDescriptor choice(std::string key, Field<S, E> field, const detail::EnumNames<E, N>& names, std::string help,
                     std::vector<std::pair<std::string, std::string>> synonyms = {}) {
    std::string expected = "one of";
    for (std::size_t i = 0; i < N; ++i) expected += std::string(i ? ", " : " ") + names.entries()[i].second;
    KeyDescriptor d = row(std::move(key), "choice", std::move(expected), std::move(help));
    d.parse = [=, &names](Config& config, std::string_view value) {
        std::string word = to_lower(trim(value));
        for (const auto& [from, to] : synonyms) {
            if (word == from) word = to;
        }
        auto found = names.find(word);
        if (found) field.of(config) = *found;
        return found.has_value();
    };
    d.format = [=, &names](const Config& config) { return std::string(names.name(field.of(config))); };
    return d;
}

bool is_server_url(std::string_view url) {
    const std::string lower = to_lower(url);
    for (std::string_view scheme : {"nats://", "tls://", "ws://", "wss://"}) {
        if (lower.starts_with(scheme) && lower.size() > scheme.size()) return true;
    }
    return false;
}

KeyDescriptor servers(std::string key, std::string help) {
    KeyDescriptor d = row(std::move(key), "list",
                          "one or more server URLs starting with nats://, tls://, ws:// or wss://, "
                          "as a YAML list or comma-separated",
                          std::move(help));
    d.is_list = true;
    d.parse = [](Config& config, std::string_view value) {
        auto urls = split_list(value);
        if (urls.empty() || !std::all_of(urls.begin(), urls.end(), [](const auto& u) { return is_server_url(u); }))
            return false;
        config.nats.servers = std::move(urls);
        return true;
    };
    d.format = [](const Config& config) { return join_list(config.nats.servers); };
    return d;
}

KeyDescriptor aka(KeyDescriptor d, std::vector<std::string> python_names) {
    d.env_aliases = std::move(python_names);
    return d;
}

/// A key that had other names: they still work, with a deprecation warning.
KeyDescriptor renamed(KeyDescriptor d, std::vector<std::string> old_keys) {
    d.renamed_from = std::move(old_keys);
    return d;
}

std::vector<KeyDescriptor> build_table() {
    using C = Config;
    using NS = NatsSettings;
    using JS = JetStreamSettings;
    using QS = QueueSettings;
    using WS = WorkerSettings;
    using RS = ResultSettings;
    using SS = SchedulerSettings;
    using ES = EventSettings;
    using LS = LogSettings;
    const Millis ms{1};
    const Millis s{1000};
    const Millis min{60'000};
    const Millis h{3'600'000};
    const Millis day{86'400'000};
    return {
        aka(servers("nats.servers", "NATS server URLs; several = one cluster"), {"NAQ_NATS_URL"}),
        text("nats.user", Field{&C::nats, &NS::user}, "user for user/password auth; empty = none"),
        text("nats.password", Field{&C::nats, &NS::password}, "password for nats.user", true),
        text("nats.password_file", Field{&C::nats, &NS::password_file},
             "file holding the password for nats.user (instead of nats.password)"),
        text("nats.token", Field{&C::nats, &NS::token}, "token auth; empty = none", true),
        text("nats.token_file", Field{&C::nats, &NS::token_file}, "file holding the token (instead of nats.token)"),
        text("nats.creds_file", Field{&C::nats, &NS::creds_file}, "NATS .creds file (JWT + nkey); empty = none"),
        text("nats.nkey_seed_file", Field{&C::nats, &NS::nkey_seed_file},
             "file holding a user nkey seed (SU…) for nkey auth; empty = none"),
        text("nats.tls_ca", Field{&C::nats, &NS::tls_ca}, "CA bundle that signs the server's certificate"),
        text("nats.tls_cert", Field{&C::nats, &NS::tls_cert}, "client certificate for mutual TLS; needs nats.tls_key"),
        text("nats.tls_key", Field{&C::nats, &NS::tls_key}, "private key of nats.tls_cert"),
        text("nats.connection_name", Field{&C::nats, &NS::connection_name}, "connection name shown by the server"),
        duration("nats.connect_timeout", Field{&C::nats, &NS::connect_timeout}, ms, h, "limit of one connect attempt"),
        duration("nats.request_timeout", Field{&C::nats, &NS::request_timeout}, ms, h,
                 "JetStream API requests, KV reads, publish acks"),
        integer("nats.max_reconnect_attempts", Field{&C::nats, &NS::max_reconnect_attempts}, -1, 1'000'000,
                "reconnect attempts after a lost connection; -1 = forever"),
        duration("nats.reconnect_wait", Field{&C::nats, &NS::reconnect_wait}, 10 * ms, h,
                 "pause between reconnect attempts to the same server"),

        token("jetstream.prefix", Field{&C::jetstream, &JS::prefix}, "prefix of every stream, bucket and subject"),
        integer_one_of("jetstream.replicas", Field{&C::jetstream, &JS::replicas}, {1, 3, 5},
                       "copies of each stream and bucket: 1 on one server, 3 or 5 on a cluster"),
        choice("jetstream.storage", Field{&C::jetstream, &JS::storage}, detail::kStorageNames,
               "file (survives restarts) or memory"),
        duration("jetstream.duplicate_window", Field{&C::jetstream, &JS::duplicate_window}, 100 * ms, 7 * day,
                 "window in which a repeated job id is enqueued only once"),
        integer("jetstream.max_jobs", Field{&C::jetstream, &JS::max_jobs}, 1, kNoMax,
                "most jobs the jobs stream holds; -1 = unlimited", true),
        integer("jetstream.max_job_bytes", Field{&C::jetstream, &JS::max_job_bytes}, 1, kNoMax,
                "most bytes the jobs stream holds; -1 = unlimited", true),

        aka(token("queue.default_queue", Field{&C::queue, &QS::default_queue}, "queue used when none is named"),
            {"NAQ_DEFAULT_QUEUE"}),
        integer("queue.max_attempts", Field{&C::queue, &QS::max_attempts}, 1, 1000,
                "runs of a job before it is dead-lettered; 1 = no retry"),
        choice("queue.backoff", Field{&C::queue, &QS::backoff}, detail::kBackoffNames,
               "how the delay between retries grows"),
        duration("queue.backoff_base", Field{&C::queue, &QS::backoff_base}, 0 * ms, day,
                 "delay before the first retry"),
        duration("queue.backoff_max", Field{&C::queue, &QS::backoff_max}, 0 * ms, 7 * day,
                 "longest delay between retries"),
        boolean("queue.backoff_jitter", Field{&C::queue, &QS::backoff_jitter},
                "randomise retry delays so failed jobs do not retry in lockstep"),
        duration("queue.job_timeout", Field{&C::queue, &QS::job_timeout}, 0 * ms, 30 * day,
                 "default run time limit of a job; 0 = none"),

        integer("worker.concurrency", Field{&C::worker, &WS::concurrency}, 1, 4096,
                "jobs run at once per worker process"),
        integer("worker.fetch_batch", Field{&C::worker, &WS::fetch_batch}, 1, 10'000, "most messages per pull request"),
        duration("worker.fetch_timeout", Field{&C::worker, &WS::fetch_timeout}, ms, 5 * min,
                 "how long one pull request waits for messages"),
        aka(duration("worker.ack_wait", Field{&C::worker, &WS::ack_wait}, 100 * ms, 7 * day,
                     "a job not acked within this is redelivered (long jobs extend it)"),
            {"NAQ_DEFAULT_ACK_WAIT"}),
        integer("worker.max_ack_pending", Field{&C::worker, &WS::max_ack_pending}, 1, kNoMax,
                "unacked messages per queue consumer, over all workers; -1 = unlimited", true),
        integer("worker.max_deliveries", Field{&C::worker, &WS::max_deliveries}, 1, 1'000'000,
                "deliveries of a job before it is dead-lettered whatever happened; >= queue.max_attempts"),
        duration("worker.heartbeat_interval", Field{&C::worker, &WS::heartbeat_interval}, 10 * ms, h,
                 "how often a worker reports its status; < worker.worker_ttl"),
        aka(duration("worker.worker_ttl", Field{&C::worker, &WS::worker_ttl}, 100 * ms, day,
                     "a worker that stops heartbeating vanishes after this"),
            {"NAQ_WORKER_TTL"}),
        duration("worker.shutdown_grace", Field{&C::worker, &WS::shutdown_grace}, 0 * ms, day,
                 "time running jobs get to finish on SIGTERM"),
        boolean("worker.store_results", Field{&C::worker, &WS::store_results}, "write job results and status to KV"),
        env_names("worker.exec_env", Field{&C::worker, &WS::exec_env},
                  "variables of the worker's environment that exec jobs see (no others)"),
        integer("worker.metrics_port", Field{&C::worker, &WS::metrics_port}, 0, 65535,
                "serve Prometheus GET /metrics on this port; 0 = off"),

        renamed(aka(duration("results.ttl", Field{&C::results, &RS::ttl}, 100 * ms, 365 * day,
                             "how long a job's record (state, errors, result) and a cancel request are kept"),
                    {"NAQ_JOB_STATUS_TTL", "NAQ_DEFAULT_RESULT_TTL"}),  // the result TTL wins
                {"results.result_ttl", "results.status_ttl"}),

        duration("scheduler.lock_ttl", Field{&C::scheduler, &SS::lock_ttl}, 100 * ms, h,
                 "leader lease; a standby takes over within about this"),
        aka(duration("scheduler.lock_renew", Field{&C::scheduler, &SS::lock_renew}, 10 * ms, h,
                     "how often the leader renews its lease; < scheduler.lock_ttl"),
            {"NAQ_SCHEDULER_LOCK_RENEW_INTERVAL"}),
        choice("scheduler.missed_runs", Field{&C::scheduler, &SS::missed_runs}, detail::kMissedRunsNames,
               "runs missed while no scheduler was up: run once, or skip"),
        aka(integer("scheduler.max_failures", Field{&C::scheduler, &SS::max_failures}, 1, 1'000'000,
                    "publish failures in a row before a schedule is marked failed"),
            {"NAQ_MAX_SCHEDULE_FAILURES"}),
        integer("scheduler.metrics_port", Field{&C::scheduler, &SS::metrics_port}, 0, 65535,
                "serve Prometheus GET /metrics on this port; 0 = off"),

        boolean("events.enabled", Field{&C::events, &ES::enabled}, "publish job lifecycle events"),
        duration("events.max_age", Field{&C::events, &ES::max_age}, 100 * ms, 3650 * day, "how long events are kept"),
        duration("events.batch_window", Field{&C::events, &ES::batch_window}, 0 * ms, 10 * s,
                 "a worker gathers its events this long and sends them in batches; 0 = one message each"),

        choice("log.level", Field{&C::log, &LS::level}, detail::kLogLevelNames, "least severe message logged",
               {{"warning", "warn"}, {"fatal", "critical"}}),
        choice("log.format", Field{&C::log, &LS::format}, detail::kLogFormatNames,
               "text lines or one JSON object per line"),
    };
}

}  // namespace

const std::vector<KeyDescriptor>& config_keys() {
    static const std::vector<KeyDescriptor> table = build_table();
    return table;
}

}  // namespace naq::detail
