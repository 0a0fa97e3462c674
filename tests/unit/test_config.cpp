// naq::Config: precedence, YAML / env / flag parsing, validation errors, provenance.
#include <catch2/catch.hpp>

#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "config/value_parsing.hpp"
#include "naq/config.hpp"
#include "naq/errors.hpp"

namespace fs = std::filesystem;
using Catch::Matchers::Contains;
using naq::Config;
using naq::ConfigError;
using naq::Millis;

namespace {

/// A fresh directory under /tmp, removed with everything in it at scope exit.
struct TempDir {
    fs::path path;
    TempDir() {
        std::string pattern = (fs::temp_directory_path() / "naq-config-XXXXXX").string();
        REQUIRE(mkdtemp(pattern.data()) != nullptr);
        path = pattern;
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
    std::string write(const std::string& name, const std::string& text) const {
        const fs::path file = path / name;
        std::ofstream(file) << text;
        return file.string();
    }
};

/// Sets (or unsets, with nullopt) one environment variable and puts the old value back.
class ScopedEnv {
public:
    ScopedEnv(std::string name, const std::optional<std::string>& value) : name_(std::move(name)) {
        if (const char* old = getenv(name_.c_str())) old_ = old;
        if (value) {
            setenv(name_.c_str(), value->c_str(), 1);
        } else {
            unsetenv(name_.c_str());
        }
    }
    ~ScopedEnv() {
        if (old_) {
            setenv(name_.c_str(), old_->c_str(), 1);
        } else {
            unsetenv(name_.c_str());
        }
    }
    ScopedEnv(const ScopedEnv&) = delete;
    ScopedEnv& operator=(const ScopedEnv&) = delete;

private:
    std::string name_;
    std::optional<std::string> old_;
};

/// Clears every NAQ_* variable the config reads for the scope, so the caller's environment
/// cannot leak into a test.
struct CleanEnv {
    std::vector<std::unique_ptr<ScopedEnv>> saved;
    CleanEnv() {
        saved.push_back(std::make_unique<ScopedEnv>("NAQ_CONFIG", std::nullopt));
        for (const auto& entry : naq::describe(Config{})) {
            saved.push_back(std::make_unique<ScopedEnv>(entry.env, std::nullopt));
            for (const auto& alias : entry.env_aliases)
                saved.push_back(std::make_unique<ScopedEnv>(alias, std::nullopt));
        }
    }
};

/// Runs in `dir` for the scope (Config::load looks for ./naq.yaml).
struct ScopedCwd {
    fs::path old = fs::current_path();
    explicit ScopedCwd(const fs::path& dir) { fs::current_path(dir); }
    ~ScopedCwd() { fs::current_path(old); }
};

std::string error_of(const std::function<void()>& body) {
    try {
        body();
    } catch (const ConfigError& e) {
        return e.what();
    }
    FAIL("expected a ConfigError");
    return {};
}

std::string load_error(const TempDir& dir, const std::string& yaml) {
    const std::string path = dir.write("naq.yaml", yaml);
    return error_of([&] { Config::from_file(path); });
}

/// A config file and the parts the error refusing it must contain.
struct Refusal {
    std::string yaml;
    std::vector<std::string> parts;
};

/// Loads each file as `dir`/naq.yaml and checks its ConfigError.
void check_refusals(const TempDir& dir, const std::vector<Refusal>& refusals) {
    for (const auto& refusal : refusals) {
        INFO("naq.yaml:\n" << refusal.yaml);
        const std::string error = load_error(dir, refusal.yaml);
        for (const auto& part : refusal.parts) CHECK_THAT(error, Contains(part));
    }
}

std::string value_of(const Config& config, const std::string& key) {
    for (const auto& entry : naq::describe(config)) {
        if (entry.key == key) return entry.value;
    }
    FAIL("no key " << key);
    return {};
}

}  // namespace

TEST_CASE("config: defaults when there is no file and no environment", "[config]") {
    CleanEnv clean;
    TempDir dir;
    ScopedCwd cwd(dir.path);
    const Config config = Config::load();
    CHECK(config.origins.empty());
    CHECK(config.nats.servers == std::vector<std::string>{"nats://127.0.0.1:4222"});
    CHECK(config.worker.concurrency == 10);
    CHECK(config.results.ttl == Millis{604'800'000});
    CHECK(config.warnings.empty());
    for (const auto& entry : naq::describe(config)) CHECK(entry.origin == "default");
}

TEST_CASE("config: precedence is default < file < env < flag", "[config]") {
    CleanEnv clean;
    TempDir dir;
    const std::string path = dir.write("naq.yaml",
                                       "worker:\n"
                                       "  concurrency: 20\n"
                                       "  fetch_batch: 32\n"
                                       "queue:\n"
                                       "  max_attempts: 3\n");
    ScopedEnv concurrency("NAQ_WORKER_CONCURRENCY", "30");
    ScopedEnv fetch_batch("NAQ_WORKER_FETCH_BATCH", "48");

    Config config = Config::load(path);
    config.set("worker.concurrency", "40", "flag:--set");

    CHECK(config.worker.concurrency == 40);           // flag over env over file
    CHECK(config.worker.fetch_batch == 48);           // env over file
    CHECK(config.queue.max_attempts == 3);            // file over default
    CHECK(config.worker.ack_wait == Millis{30'000});  // default
    CHECK(config.origins.at("worker.concurrency") == "flag:--set");
    CHECK(config.origins.at("worker.fetch_batch") == "env:NAQ_WORKER_FETCH_BATCH");
    CHECK(config.origins.at("queue.max_attempts") == "file:" + path);
    CHECK(config.origins.count("worker.ack_wait") == 0);
}

TEST_CASE("config: file search order is --config, NAQ_CONFIG, ./naq.yaml", "[config]") {
    CleanEnv clean;
    TempDir dir;
    const std::string local = dir.write("naq.yaml", "worker:\n  concurrency: 2\n");
    const std::string from_env = dir.write("env.yaml", "worker:\n  concurrency: 3\n");
    const std::string explicit_path = dir.write("explicit.yaml", "worker:\n  concurrency: 4\n");
    ScopedCwd cwd(dir.path);

    CHECK(Config::load().worker.concurrency == 2);
    CHECK(Config::load().origins.at("worker.concurrency") == "file:naq.yaml");
    {
        ScopedEnv env("NAQ_CONFIG", from_env);
        CHECK(Config::load().worker.concurrency == 3);
        CHECK(Config::load(explicit_path).worker.concurrency == 4);
    }
    {
        ScopedEnv env("NAQ_CONFIG", (dir.path / "missing.yaml").string());
        CHECK_THAT(error_of([] { Config::load(); }), Contains("NAQ_CONFIG") && Contains("missing.yaml"));
    }
    CHECK_THAT(error_of([&] { Config::load((dir.path / "nope.yaml").string()); }),
               Contains("nope.yaml") && Contains("not found"));
}

TEST_CASE("config: unknown keys are refused with file, line and key", "[config]") {
    CleanEnv clean;
    TempDir dir;
    const std::string path = (dir.path / "naq.yaml").string();
    SECTION("top-level section") {
        const std::string error = load_error(dir, "nats:\n  servers: nats://a:4222\nwrker:\n  concurrency: 3\n");
        CHECK_THAT(error, Contains(path + ":3:") && Contains("unknown section \"wrker\"") &&
                              Contains("did you mean \"worker\""));
    }
    SECTION("key inside a section") {
        const std::string error = load_error(dir, "worker:\n  concurrency: 3\n  concurency: 4\n");
        CHECK_THAT(error, Contains(path + ":3:") && Contains("unknown key \"worker.concurency\"") &&
                              Contains("worker.concurrency"));
    }
    SECTION("key of another section") {
        CHECK_THAT(load_error(dir, "queue:\n  result_ttl: 5s\n"), Contains("unknown key \"queue.result_ttl\""));
    }
    SECTION("key given twice") {
        CHECK_THAT(load_error(dir, "worker:\n  concurrency: 3\n  concurrency: 4\n"), Contains("appears twice"));
    }
    SECTION("flag --set") {
        Config config;
        CHECK_THAT(error_of([&] { config.set("worker.threads", "3", "flag:--set"); }),
                   Contains("flag --set") && Contains("unknown key \"worker.threads\""));
    }
}

TEST_CASE("config: wrong types name file, line, key and what was expected", "[config]") {
    CleanEnv clean;
    TempDir dir;
    const std::string path = (dir.path / "naq.yaml").string();
    CHECK(load_error(dir, "# workers\nworker:\n  concurrency: lots\n") ==
          path + ":3: worker.concurrency: expected an integer from 1 to 4096, got \"lots\"");
    check_refusals(
        dir, {
                 {"worker:\n  concurrency: 2.5\n", {"worker.concurrency"}},
                 {"worker:\n  store_results: maybe\n", {path + ":2:", "worker.store_results: expected true/false"}},
                 {"worker:\n  concurrency:\n    a: 1\n", {"worker.concurrency", "got a mapping"}},
                 {"worker:\n  concurrency: [1, 2]\n", {"got a list"}},
                 {"worker: 5\n", {path + ":1:", "worker: expected a mapping"}},
                 {"- nats\n- worker\n", {"expected a mapping of sections"}},
                 {"worker:\n  concurrency:\n", {"worker.concurrency", "got \"\""}},
             });
}

TEST_CASE("config: out-of-range values are refused", "[config]") {
    CleanEnv clean;
    TempDir dir;
    check_refusals(dir, {
                            {"worker:\n  concurrency: 0\n", {"from 1 to 4096, got \"0\""}},
                            {"worker:\n  concurrency: 5000\n", {"worker.concurrency"}},
                            {"worker:\n  fetch_batch: 10001\n", {"worker.fetch_batch"}},
                            {"worker:\n  max_ack_pending: 0\n", {"worker.max_ack_pending: expected -1"}},
                            {"jetstream:\n  replicas: 2\n", {"jetstream.replicas: expected one of 1, 3, 5"}},
                            {"jetstream:\n  prefix: a.b\n", {"jetstream.prefix"}},
                            {"jetstream:\n  max_jobs: -2\n", {"jetstream.max_jobs"}},
                            {"queue:\n  max_attempts: 0\n", {"queue.max_attempts"}},
                            {"queue:\n  default_queue: \"my queue\"\n", {"queue.default_queue"}},
                            {"nats:\n  servers: http://a:4222\n", {"nats.servers"}},
                            {"nats:\n  servers: []\n", {"nats.servers"}},
                            {"nats:\n  max_reconnect_attempts: -2\n", {"nats.max_reconnect_attempts"}},
                        });

    Config ok = Config::from_file(dir.write("ok.yaml", "worker:\n  max_ack_pending: -1\njetstream:\n  replicas: 3\n"));
    CHECK(ok.worker.max_ack_pending == -1);
    CHECK(ok.jetstream.replicas == 3);
}

TEST_CASE("config: bad durations are refused", "[config]") {
    CleanEnv clean;
    TempDir dir;
    const std::string path = (dir.path / "naq.yaml").string();
    check_refusals(
        dir, {
                 {"worker:\n  ack_wait: soon\n", {path + ":2: worker.ack_wait: expected a duration", "got \"soon\""}},
                 {"worker:\n  ack_wait: -5s\n", {"worker.ack_wait"}},
                 {"worker:\n  ack_wait: 5x\n", {"worker.ack_wait"}},
                 {"worker:\n  ack_wait: 0\n", {"worker.ack_wait"}},  // 0 makes no sense
                 {"nats:\n  request_timeout: 0.0001\n", {"nats.request_timeout"}},
             });
    CHECK(Config::from_file(dir.write("ok.yaml", "queue:\n  job_timeout: 0\n")).queue.job_timeout == Millis{0});
}

TEST_CASE("config: enumerated values are checked", "[config]") {
    CleanEnv clean;
    TempDir dir;
    check_refusals(dir, {
                            {"log:\n  level: loud\n",
                             {"log.level: expected one of trace, debug, info, warn, error, critical, off"}},
                            {"log:\n  format: xml\n", {"log.format: expected one of text, json"}},
                            {"queue:\n  backoff: random\n", {"queue.backoff"}},
                            {"scheduler:\n  missed_runs: all\n", {"scheduler.missed_runs"}},
                            {"jetstream:\n  storage: disk\n", {"jetstream.storage: expected one of file, memory"}},
                        });

    Config config;
    config.set("log.level", "WARNING");  // the Python naq's spelling
    CHECK(config.log.level == naq::LogLevel::warn);
    config.set("jetstream.storage", "Memory");
    CHECK(config.jetstream.storage == naq::StorageType::memory);
    CHECK(config.origins.at("log.level") == "flag");
}

TEST_CASE("config: malformed YAML names the file and line", "[config]") {
    CleanEnv clean;
    TempDir dir;
    const std::string path = (dir.path / "naq.yaml").string();
    check_refusals(dir, {
                            {"worker:\n  concurrency: 3\n  fetch_batch: [1, 2\n", {path + ":", "malformed YAML"}},
                            {"worker:\n  concurrency: 3\n bad indent: 4\n", {path + ":3: malformed YAML"}},
                        });
}

TEST_CASE("config: cross-field rules", "[config]") {
    CleanEnv clean;
    TempDir dir;
    const std::string path = (dir.path / "naq.yaml").string();
    check_refusals(
        dir, {
                 {"nats:\n  tls_cert: /etc/naq/client.pem\n", {path, "nats.tls_cert is set but nats.tls_key is not"}},
                 {"nats:\n  tls_key: /etc/naq/client.key\n", {"nats.tls_key is set but nats.tls_cert is not"}},
                 {"nats:\n  password: secret\n", {"nats.password is set but nats.user is not"}},
                 {"scheduler:\n  lock_ttl: 2s\n  lock_renew: 2s\n",
                  {"scheduler.lock_renew (2s) must be shorter than scheduler.lock_ttl (2s)"}},
                 {"worker:\n  heartbeat_interval: 20s\n",
                  {"worker.heartbeat_interval (20s) must be shorter than worker.worker_ttl (15s)"}},
                 {"queue:\n  backoff_base: 10m\n  backoff_max: 1m\n",
                  {"queue.backoff_base (10m) must not exceed queue.backoff_max (1m)"}},
                 {"queue:\n  max_attempts: 50\nworker:\n  max_deliveries: 20\n",
                  {"queue.max_attempts (50) must not exceed worker.max_deliveries (20)"}},
             });

    Config config;
    config.set("scheduler.lock_ttl", "1s", "flag:--set");
    CHECK_THAT(error_of([&] { config.validate(); }), Contains("flag --set") && Contains("scheduler.lock_renew"));

    Config both = Config::from_file(
        dir.write("tls.yaml", "nats:\n  tls_cert: c.pem\n  tls_key: c.key\n  user: u\n  password: p\n"));
    CHECK(both.nats.tls_key == "c.key");
}

TEST_CASE("config: validate() checks values changed in code", "[config]") {
    Config config;
    config.validate();
    config.worker.concurrency = 0;
    CHECK_THAT(error_of([&] { config.validate(); }),
               Contains("worker.concurrency: expected an integer from 1 to 4096"));
    config.worker.concurrency = 10;
    config.nats.servers.clear();
    CHECK_THAT(error_of([&] { config.validate(); }), Contains("nats.servers"));
}

TEST_CASE("config: environment and flag errors name the variable or flag", "[config]") {
    CleanEnv clean;
    TempDir dir;
    ScopedCwd cwd(dir.path);
    {
        ScopedEnv env("NAQ_WORKER_CONCURRENCY", "lots");
        CHECK(error_of([] { Config::load(); }) ==
              "env NAQ_WORKER_CONCURRENCY: worker.concurrency: expected an integer from 1 to 4096, got \"lots\"");
    }
    {
        ScopedEnv env("NAQ_DEFAULT_ACK_WAIT", "forever");
        CHECK_THAT(error_of([] { Config::load(); }), Contains("env NAQ_DEFAULT_ACK_WAIT: worker.ack_wait"));
    }
    Config config;
    CHECK_THAT(error_of([&] { config.set("nats.servers", "localhost", "flag:--url"); }),
               Contains("flag --url: nats.servers: expected"));
    CHECK(config.nats.servers == std::vector<std::string>{"nats://127.0.0.1:4222"});  // untouched
    CHECK(config.origins.empty());
}

TEST_CASE("config: origins are recorded for every key not from defaults", "[config]") {
    CleanEnv clean;
    TempDir dir;
    const std::string path = dir.write("naq.yaml", "nats:\n  servers:\n    - nats://a:4222\n    - tls://b:4222\n");
    ScopedEnv env("NAQ_LOG_LEVEL", "debug");
    Config config = Config::load(path);
    config.set("jetstream.prefix", "staging", "flag:--prefix");

    CHECK(config.nats.servers == std::vector<std::string>{"nats://a:4222", "tls://b:4222"});
    CHECK(config.origins == std::map<std::string, std::string>{{"nats.servers", "file:" + path},
                                                               {"log.level", "env:NAQ_LOG_LEVEL"},
                                                               {"jetstream.prefix", "flag:--prefix"}});
    for (const auto& entry : naq::describe(config)) {
        const auto it = config.origins.find(entry.key);
        CHECK(entry.origin == (it == config.origins.end() ? "default" : it->second));
    }
}

TEST_CASE("config: describe() lists every key in file order", "[config]") {
    const auto entries = naq::describe(Config{});
    REQUIRE(entries.size() == 52);
    CHECK(entries.front().key == "nats.servers");
    CHECK(entries.back().key == "log.format");
    std::set<std::string> keys;
    std::vector<std::string> sections;
    for (const auto& entry : entries) {
        CHECK(keys.insert(entry.key).second);
        CHECK(!entry.help.empty());
        CHECK(!entry.expected.empty());
        CHECK(entry.origin == "default");
        const std::string section = entry.key.substr(0, entry.key.find('.'));
        if (sections.empty() || sections.back() != section) sections.push_back(section);
        std::string env = "NAQ_" + entry.key;
        for (char& c : env) c = c == '.' ? '_' : static_cast<char>(toupper(c));
        CHECK(entry.env == env);
        Config config;
        config.set(entry.key, entry.value);  // every printed value is accepted back
    }
    CHECK(sections ==
          std::vector<std::string>{"nats", "jetstream", "queue", "worker", "results", "scheduler", "events", "log"});
    CHECK(value_of(Config{}, "results.ttl") == "7d");
    CHECK(value_of(Config{}, "worker.ack_wait") == "30s");
    CHECK(value_of(Config{}, "jetstream.storage") == "file");
}

TEST_CASE("config: durations parse and print round trip", "[config]") {
    using naq::format_duration;
    using naq::parse_duration;
    CHECK(parse_duration("30") == Millis{30'000});
    CHECK(parse_duration("0.5") == Millis{500});
    CHECK(parse_duration("0.1") == Millis{100});
    CHECK(parse_duration("250ms") == Millis{250});
    CHECK(parse_duration("30s") == Millis{30'000});
    CHECK(parse_duration("2m") == Millis{120'000});
    CHECK(parse_duration("1.5h") == Millis{5'400'000});
    CHECK(parse_duration("7d") == Millis{604'800'000});
    CHECK(parse_duration(" 10 s ") == Millis{10'000});
    CHECK(parse_duration(".5") == Millis{500});
    CHECK(parse_duration("0") == Millis{0});
    CHECK_FALSE(parse_duration(""));
    CHECK_FALSE(parse_duration("s"));
    CHECK_FALSE(parse_duration("-1s"));
    CHECK_FALSE(parse_duration("1w"));
    CHECK_FALSE(parse_duration("0.5ms"));
    CHECK_FALSE(parse_duration("1.2.3"));
    CHECK_FALSE(parse_duration("99999999999999999999d"));

    CHECK(format_duration(Millis{0}) == "0s");
    CHECK(format_duration(Millis{250}) == "250ms");
    CHECK(format_duration(Millis{1500}) == "1500ms");
    CHECK(format_duration(Millis{30'000}) == "30s");
    CHECK(format_duration(Millis{90'000}) == "90s");
    CHECK(format_duration(Millis{120'000}) == "2m");
    CHECK(format_duration(Millis{3'600'000}) == "1h");
    CHECK(format_duration(Millis{604'800'000}) == "7d");
    for (int64_t ms : {0LL, 1LL, 999LL, 1000LL, 61'000LL, 3'600'000LL, 86'400'001LL, 31'536'000'000LL}) {
        CHECK(parse_duration(format_duration(Millis{ms})) == Millis{ms});
    }
}

TEST_CASE("config: booleans, integers and lists", "[config]") {
    using namespace naq::detail;
    for (const char* yes : {"true", "TRUE", "yes", "Yes", "1"}) CHECK(parse_bool(yes) == true);
    for (const char* no : {"false", "False", "no", "NO", "0"}) CHECK(parse_bool(no) == false);
    CHECK_FALSE(parse_bool("y"));
    CHECK(parse_integer(" -1 ") == -1);
    CHECK_FALSE(parse_integer("1e3"));
    CHECK_FALSE(parse_integer("12abc"));
    CHECK(split_list(" nats://a:4222, ,nats://b:4222,") == std::vector<std::string>{"nats://a:4222", "nats://b:4222"});
    CHECK(join_list({"a", "b"}) == "a,b");
}

TEST_CASE("config: NAQ_NATS_URL takes a comma-separated list", "[config]") {
    CleanEnv clean;
    TempDir dir;
    ScopedCwd cwd(dir.path);
    ScopedEnv url("NAQ_NATS_URL", "nats://n1:4222, nats://n2:4222,tls://n3:4443");
    const Config config = Config::load();
    CHECK(config.nats.servers == std::vector<std::string>{"nats://n1:4222", "nats://n2:4222", "tls://n3:4443"});
    CHECK(config.origins.at("nats.servers") == "env:NAQ_NATS_URL");
    CHECK(value_of(config, "nats.servers") == "nats://n1:4222,nats://n2:4222,tls://n3:4443");
}

TEST_CASE("config: the Python naq environment names are accepted", "[config]") {
    CleanEnv clean;
    TempDir dir;
    ScopedCwd cwd(dir.path);
    ScopedEnv a("NAQ_DEFAULT_QUEUE", "emails");
    ScopedEnv b("NAQ_DEFAULT_RESULT_TTL", "3600");
    ScopedEnv c("NAQ_JOB_STATUS_TTL", "600");
    ScopedEnv d("NAQ_WORKER_TTL", "60");
    ScopedEnv e("NAQ_WORKER_HEARTBEAT_INTERVAL", "10");
    ScopedEnv f("NAQ_DEFAULT_ACK_WAIT", "120");
    ScopedEnv g("NAQ_SCHEDULER_LOCK_TTL", "30");
    ScopedEnv h("NAQ_SCHEDULER_LOCK_RENEW_INTERVAL", "15");
    ScopedEnv i("NAQ_MAX_SCHEDULE_FAILURES", "9");
    ScopedEnv j("NAQ_LOG_LEVEL", "DEBUG");
    const Config config = Config::load();
    CHECK(config.queue.default_queue == "emails");
    CHECK(config.results.ttl == Millis{3'600'000});  // the result TTL wins over the status TTL
    CHECK(config.worker.worker_ttl == Millis{60'000});
    CHECK(config.worker.heartbeat_interval == Millis{10'000});
    CHECK(config.worker.ack_wait == Millis{120'000});
    CHECK(config.scheduler.lock_ttl == Millis{30'000});
    CHECK(config.scheduler.lock_renew == Millis{15'000});
    CHECK(config.scheduler.max_failures == 9);
    CHECK(config.log.level == naq::LogLevel::debug);
    CHECK(config.origins.at("results.ttl") == "env:NAQ_DEFAULT_RESULT_TTL");

    // Both names set: the NAQ_<SECTION>_<FIELD> name wins.
    ScopedEnv primary("NAQ_QUEUE_DEFAULT_QUEUE", "reports");
    const Config both = Config::load();
    CHECK(both.queue.default_queue == "reports");
    CHECK(both.origins.at("queue.default_queue") == "env:NAQ_QUEUE_DEFAULT_QUEUE");
}

TEST_CASE("config: YAML forms: lists, empty sections, empty file", "[config]") {
    TempDir dir;
    CHECK(Config::from_file(dir.write("empty.yaml", "")).origins.empty());
    CHECK(Config::from_file(dir.write("comments.yaml", "# nothing\n")).origins.empty());
    CHECK(Config::from_file(dir.write("section.yaml", "worker:\n")).origins.empty());
    const Config flow = Config::from_file(dir.write("flow.yaml", "nats: {servers: [nats://x:1, nats://y:2]}\n"));
    CHECK(flow.nats.servers == std::vector<std::string>{"nats://x:1", "nats://y:2"});
    const Config quoted =
        Config::from_file(dir.write("quoted.yaml", "worker:\n  ack_wait: \"90\"\n  store_results: no\n"));
    CHECK(quoted.worker.ack_wait == Millis{90'000});
    CHECK_FALSE(quoted.worker.store_results);
}

TEST_CASE("config: config/naq.yaml loads to exactly the defaults", "[config]") {
    const fs::path file = fs::path(__FILE__).parent_path().parent_path().parent_path() / "config" / "naq.yaml";
    REQUIRE(fs::exists(file));  // the tests are built from the source tree: a missing file is a defect
    const Config config = Config::from_file(file.string());
    const auto loaded = naq::describe(config);
    const auto defaults = naq::describe(Config{});
    REQUIRE(loaded.size() == defaults.size());
    for (std::size_t i = 0; i < loaded.size(); ++i) {
        CHECK(loaded[i].value == defaults[i].value);
        CHECK(config.origins.count(loaded[i].key) == 1);  // the file names every key
    }
}

TEST_CASE("config: default_config can be replaced", "[config]") {
    struct Restore {  // plain defaults for the other tests, however this one ends
        ~Restore() { naq::set_default_config(Config{}); }
    } restore;
    Config mine;
    mine.worker.concurrency = 7;
    naq::set_default_config(mine);
    const Config& first = naq::default_config();
    CHECK(first.worker.concurrency == 7);
    mine.worker.concurrency = 8;
    naq::set_default_config(mine);
    CHECK(naq::default_config().worker.concurrency == 8);
    CHECK(first.worker.concurrency == 7);  // references handed out earlier stay valid
}

TEST_CASE("config: renamed keys still work, with a warning naming the new key", "[config]") {
    CleanEnv clean;
    TempDir dir;
    ScopedCwd cwd(dir.path);
    const std::string path = dir.write("old.yaml", "results:\n  result_ttl: 2d\n");
    const Config from_file = Config::load(path);
    CHECK(from_file.results.ttl == Millis{2 * 86'400'000});
    CHECK(from_file.origins.at("results.ttl") == "file:" + path);
    REQUIRE(from_file.warnings.size() == 1);
    CHECK_THAT(from_file.warnings[0], Contains(path + ":2: results.result_ttl is deprecated: use results.ttl"));

    Config flagged;
    flagged.set("results.status_ttl", "3h", "flag:--set");
    CHECK(flagged.results.ttl == Millis{3 * 3'600'000});
    REQUIRE(flagged.warnings.size() == 1);
    CHECK_THAT(flagged.warnings[0], Contains("results.status_ttl is deprecated: use results.ttl"));

    ScopedEnv old_env("NAQ_RESULTS_RESULT_TTL", "90m");
    const Config from_env = Config::load();
    CHECK(from_env.results.ttl == Millis{90 * 60'000});
    REQUIRE(from_env.warnings.size() == 1);
    CHECK_THAT(from_env.warnings[0], Contains("env NAQ_RESULTS_RESULT_TTL is deprecated: use NAQ_RESULTS_TTL"));

    // Two names of one key in one file: which value was meant is unclear, so it is an error.
    CHECK_THAT(load_error(dir, "results:\n  result_ttl: 7d\n  status_ttl: 1d\n"),
               Contains("key \"results.ttl\" appears twice (\"results.status_ttl\" is its old name)"));
}

TEST_CASE("config: what would be silently misread is an error or a warning", "[config]") {
    CleanEnv clean;
    TempDir dir;
    ScopedCwd cwd(dir.path);
    // Only the first document was read before: the second's settings were lost in silence.
    CHECK_THAT(load_error(dir, "worker:\n  concurrency: 3\n---\nworker:\n  concurrency: 9\n"),
               Contains("naq.yaml:3: a second YAML document starts here (---); naq reads one"));
    // An unclosed quote swallowed the next key into the value, and validate said ok.
    CHECK_THAT(load_error(dir, "nats:\n  connection_name: \"my app\n  user: \"alice\"\n"),
               Contains("naq.yaml:2: the double quote of this value is not closed on its line"));
    CHECK_THAT(load_error(dir, "nats:\n  connection_name: 'my app\n"), Contains(":2: the single quote"));
    // Quotes that do close, with escapes, are fine.
    const std::string ok = dir.write("ok.yaml",
                                     "# it's a comment\nnats:\n  connection_name: \"a \\\" b\"\n  user: 'it''s'\n"
                                     "  servers: [\"nats://a:4222\", 'nats://b:4222']\n");
    CHECK(Config::load(ok).nats.user == "it's");

    // A typo in a NAQ_<SECTION>_ variable is named, with the setting it probably meant.
    ScopedEnv typo("NAQ_WORKER__CONCURRENCY", "32");
    ScopedEnv tool("NAQ_BINARY", "/usr/bin/naq");  // not a setting's name: a tool's, left alone
    const Config warned = Config::load(ok);
    REQUIRE(warned.warnings.size() == 1);
    CHECK_THAT(warned.warnings[0], Contains("env NAQ_WORKER__CONCURRENCY is not a naq setting; it is ignored") &&
                                       Contains("did you mean \"NAQ_WORKER_CONCURRENCY\"?"));
    CHECK(warned.worker.concurrency == 10);
}
