// naq::Config — every setting of every naq component, in one plain struct.
//
// Precedence: built-in defaults < YAML file < NAQ_* environment < CLI flags.
// config/naq.yaml lists every key with its default; docs/configuration.md explains them.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace naq {

using Millis = std::chrono::milliseconds;

// The settings that take one of a fixed set of words are enums; to_string() below gives the
// word as written in naq.yaml, and the config loader refuses any other.

/// JetStream storage of naq's streams and buckets: file survives a server restart, memory does not.
enum class StorageType { file, memory };

/// How the delay between retries grows (queue.backoff; a job's options.backoff.kind).
enum class BackoffKind { fixed, linear, exponential };

/// What to do with runs missed while no scheduler was leading (scheduler.missed_runs).
enum class MissedRuns { once, skip };

/// The least severe message logged (log.level); the levels of spdlog.
enum class LogLevel { trace, debug, info, warn, error, critical, off };

/// Log lines as text or as one JSON object each (log.format).
enum class LogFormat { text, json };

/// How to reach NATS and who to be there.
struct NatsSettings {
    std::vector<std::string> servers{"nats://127.0.0.1:4222"};  ///< one or more URLs (a cluster)
    std::string user;                                           ///< user/password auth; empty = none
    std::string password;
    /// A file holding the password (systemd credentials, Kubernetes secrets); instead of password.
    std::string password_file;
    std::string token;       ///< token auth; empty = none
    std::string token_file;  ///< a file holding the token; instead of token
    std::string creds_file;  ///< NATS .creds file (JWT + nkey); empty = none
    /// A file holding a user nkey seed ("SU…"; nkey auth, the server lists its public key).
    std::string nkey_seed_file;
    std::string tls_ca;    ///< CA bundle to verify the server; empty = system default / no TLS
    std::string tls_cert;  ///< client certificate (mutual TLS); needs tls_key
    std::string tls_key;
    std::string connection_name{"naq"};
    Millis connect_timeout{2000};     ///< per connect attempt
    Millis request_timeout{5000};     ///< JetStream API requests, KV gets, publish acks
    int max_reconnect_attempts = -1;  ///< -1 = reconnect forever
    Millis reconnect_wait{1000};      ///< between reconnect attempts to the same server
};

/// Where naq keeps its streams and buckets.
struct JetStreamSettings {
    std::string prefix{"naq"};  ///< prefix of every stream, bucket and subject name
    int replicas = 1;           ///< 1 on a single server; 3 or 5 on a cluster
    StorageType storage = StorageType::file;
    Millis duplicate_window{120'000};  ///< Nats-Msg-Id dedup window (idempotent enqueue)
    int64_t max_jobs = -1;             ///< max messages in the jobs stream; -1 = unlimited
    int64_t max_job_bytes = -1;        ///< max bytes in the jobs stream; -1 = unlimited
};

/// Job defaults used when EnqueueOptions leave a field unset.
struct QueueSettings {
    std::string default_queue{"naq_default_queue"};
    int max_attempts = 1;  ///< 1 = no retry
    BackoffKind backoff = BackoffKind::exponential;
    Millis backoff_base{1000};
    Millis backoff_max{300'000};
    bool backoff_jitter = true;
    Millis job_timeout{0};  ///< 0 = no timeout
};

/// Worker daemon settings.
struct WorkerSettings {
    int concurrency = 10;              ///< handlers running at once per worker process
    int fetch_batch = 256;             ///< max messages per pull request (long jobs take fewer: see worker.cpp)
    Millis fetch_timeout{1000};        ///< how long one pull request waits for messages
    Millis ack_wait{30'000};           ///< redelivery after a crash; long jobs extend their lease
    int64_t max_ack_pending = 20'000;  ///< consumer-wide unacked limit (server default 1000 stalls)
    /// The most times a job's message is delivered. A delivery past it does not run: the job is
    /// dead-lettered (reason "max_deliveries"), or terminated if even that fails; the consumer's
    /// MaxDeliver is one more, the server's backstop. Bounds every redelivery loop (a record the
    /// server refuses, a worker that dies on the job); a job's attempts are bounded by it too.
    int max_deliveries = 100;
    Millis heartbeat_interval{5000};
    Millis worker_ttl{15'000};      ///< a worker that stops heartbeating vanishes after this
    Millis shutdown_grace{30'000};  ///< in-flight jobs get this long to finish on SIGTERM
    bool store_results = true;      ///< write results and job status to KV
    int metrics_port = 0;           ///< serve Prometheus GET /metrics on this port; 0 = off
    /// The worker's environment variables an exec job sees; no others (the worker's own may
    /// hold NATS credentials). docs/security.md.
    std::vector<std::string> exec_env{"PATH", "HOME", "LANG", "LC_ALL", "TZ", "TMPDIR"};
};

/// Results and job status records.
struct ResultSettings {
    /// How long a job's record (state, every error, the result) and a cancel request are kept:
    /// 7 days, the Python naq's result TTL. Was results.result_ttl / results.status_ttl.
    Millis ttl{604'800'000};
};

/// Scheduler service.
struct SchedulerSettings {
    Millis lock_ttl{5000};    ///< leader lease; a standby takes over within lock_ttl + 1 s
    Millis lock_renew{1500};  ///< the leader renews its lease this often
    MissedRuns missed_runs = MissedRuns::once;
    int max_failures = 5;  ///< publish failures before a schedule is marked failed
    int metrics_port = 0;  ///< serve Prometheus GET /metrics on this port; 0 = off
};

/// Event stream.
struct EventSettings {
    bool enabled = true;
    Millis max_age{604'800'000};  ///< retention of the events stream
    Millis batch_window{20};      ///< a worker sends its events in batches this often; 0 = one by one
};

/// Logging through spdlog.
struct LogSettings {
    LogLevel level = LogLevel::info;
    LogFormat format = LogFormat::text;
};

/// Where a setting's effective value came from, for `naq config show`.
enum class ValueSource { defaults, file, env, flag };

/// Every naq setting. Plain data: construct, change fields, pass by const reference.
struct Config {
    NatsSettings nats;
    JetStreamSettings jetstream;
    QueueSettings queue;
    WorkerSettings worker;
    ResultSettings results;
    SchedulerSettings scheduler;
    EventSettings events;
    LogSettings log;

    /// Which source set each key that is not at its default ("nats.servers" -> env:NAQ_NATS_URL).
    std::map<std::string, std::string> origins;
    /// What loading accepted but warns about, one line each ("naq.yaml:40: results.result_ttl is
    /// deprecated: use results.ttl"). The naq command logs them; a program may too.
    std::vector<std::string> warnings;

    /// Loads defaults < YAML file < NAQ_* environment. The file is `path` if given, else
    /// $NAQ_CONFIG, else ./naq.yaml when present. Throws ConfigError naming file, key and reason.
    /// The result has passed validate().
    static Config load(const std::optional<std::string>& path = std::nullopt);

    /// Loads only a YAML file over the defaults (no environment); for `naq config validate`.
    /// The result has passed validate().
    static Config from_file(const std::string& path);

    /// Applies one `key=value` override (dotted key, as in the YAML file), recording `origin`.
    /// CLI flags use this so that they are validated exactly like file and env values.
    void set(const std::string& key, const std::string& value, const std::string& origin = "flag");

    /// Checks every value's range (also for fields changed in code) and the cross-field rules
    /// (e.g. tls_cert needs tls_key, lock_renew < lock_ttl); throws ConfigError.
    void validate() const;
};

/// One row of `naq config show`: key, effective value as text, where it came from.
struct ConfigEntry {
    std::string key;
    std::string value;
    std::string origin;  ///< "default", "file:naq.yaml", "env:NAQ_NATS_URL", "flag:--url"
    std::string env;     ///< the NAQ_* variable for this key
    std::string help;
    std::vector<std::string> env_aliases;  ///< the Python naq's variable names for it, if any
    std::string type;                      ///< integer | duration | bool | string | list | choice
    std::string expected;                  ///< accepted values and range, e.g. "an integer from 1 to 4096"
    bool secret = false;                   ///< a password or token: mask it when printing
};

/// Every key of the config with its effective value and origin, in file order.
std::vector<ConfigEntry> describe(const Config& config);

/// The process-wide default config (the C++ form of the seeds' `config or get_config()`):
/// loaded with Config::load() on first use unless set_default_config() was called first.
const Config& default_config();
/// Replaces the process-wide default config (the `naq` binary sets the one it loaded). Call it
/// before starting workers; objects already built keep the copy they were given.
void set_default_config(Config config);

/// The words of naq.yaml: "file", "exponential", "once", "warn", "json", ...
const char* to_string(StorageType storage);
const char* to_string(BackoffKind kind);
const char* to_string(MissedRuns policy);
const char* to_string(LogLevel level);
const char* to_string(LogFormat format);

/// The policy spelled `name` ("once" | "skip"); throws InvalidArgument naming both.
MissedRuns missed_runs_from_string(const std::string& name);

}  // namespace naq
