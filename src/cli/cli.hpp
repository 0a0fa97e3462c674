// Shared plumbing of the `naq` command line: global options, the effective Config, output mode
// and the mapping from exceptions to exit codes. One file per command group registers itself
// through an add_*_commands() function declared here.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/job_limits.hpp"
#include "naq/config.hpp"
#include "naq/json.hpp"

namespace naq::cli {

// Exit codes, the same for every command (docs/cli.md).
inline constexpr int kOk = 0;
inline constexpr int kFailed = 1;  ///< the job or operation failed
inline constexpr int kUsage = 2;   ///< usage or config error
inline constexpr int kNotFound = 3;
inline constexpr int kTimedOut = 4;
inline constexpr int kUnreachable = 5;   ///< cannot reach NATS
inline constexpr int kNotPermitted = 6;  ///< the NATS server refused a subject to this user

/// Options every command accepts, and the Config they produce.
struct Globals {
    std::optional<std::string> config_path;  ///< --config
    std::vector<std::string> servers;        ///< --url (repeatable)
    std::optional<std::string> prefix;       ///< --prefix
    std::optional<std::string> log_level;    ///< --log-level
    std::vector<std::string> overrides;      ///< --set key=value (repeatable)
    bool json = false;                       ///< --json: machine-readable output

    /// defaults < file < env < flags. Throws ConfigError.
    Config load_config() const;
};

/// Runs `body` and turns any exception into a one-line message on stderr and an exit code.
int run_guarded(const std::function<int()>& body);

/// A one-shot command that the server refuses a subject ends at once, exit 6 with the server's
/// words, instead of waiting out nats.request_timeout for an answer that never comes. Set by
/// main() before any command runs.
void stop_at_once_when_refused();
/// Long-running commands (worker, scheduler, dev, dashboard, top) log a refusal and go on.
void keep_running_when_refused();

/// Sets spdlog's level and format from the config (stderr sink).
void setup_logging(const Config& config);

/// SIGTERM/SIGINT handling for long-running commands. Signals are blocked in the calling thread
/// (and so in every thread started after it) and taken by one waiting thread: the first calls
/// `on_first` (a graceful stop), a second exits the process at once with code 130.
/// Construct it before anything starts threads (NATS connections, worker pools).
class SignalStopper {
public:
    explicit SignalStopper(std::function<void()> on_first);
    ~SignalStopper();
    SignalStopper(const SignalStopper&) = delete;
    SignalStopper& operator=(const SignalStopper&) = delete;

private:
    std::thread thread_;
};

/// Unix milliseconds as an ISO 8601 UTC time ("-" for 0).
std::string format_time(int64_t ms);

/// The longest job timeout (a job's limit, core/job_limits.hpp), --in delay and --wait.
inline constexpr Millis kLongestJobDuration{detail::kMaxJobDurationMs};
inline constexpr Millis kLongestDelay{36'500LL * 86'400'000};   // 100 years; times end at 2200 anyway
inline constexpr Millis kLongestUniqueFor{365LL * 86'400'000};  // the longest results.ttl
inline constexpr Millis kLongestWait{365LL * 86'400'000};

/// Option checks (options.cpp). CLI11 turns a failed check into "--flag: why" and exit 2.
/// The value must not be empty: `-q ''` is a mistake, not the default.
CLI::Validator non_empty();
/// A duration as naq/durations.hpp spells it ("90", "1.5h"), within [min, max].
CLI::Validator duration_within(Millis min, Millis max);
/// `text` as a duration; InvalidArgument naming `flag` when it is not one.
Millis duration_flag(const std::string& flag, const std::string& text);
/// The --args-file text, refused past 64 MiB (so /dev/zero ends). Throws InvalidArgument.
std::string read_args_file(const std::string& path);

/// Job arguments from --arg key=value pairs over --args JSON or --args-file (cmd_job.cpp).
/// Throws InvalidArgument.
Json parse_args(const std::vector<std::string>& pairs, const std::string& args_json, const std::string& args_file);

/// Prints a table; every cell goes through terminal_safe (cells hold text from the wire).
void print_table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows);

/// `text` with control characters (C0, DEL, C1 — ESC, BEL, CR, …) shown as \xNN: text from the
/// wire must not move the cursor, repaint or ring the operator's terminal.
std::string terminal_safe(std::string_view text);

// Command groups. Each adds its subcommands to `app`; the callbacks set `exit_code`.
void add_config_commands(CLI::App& app, Globals& globals, int& exit_code);
/// `naq config permissions` (cmd_config_permissions.cpp), under the `config` command.
void add_config_permissions_command(CLI::App& config, Globals& globals, int& exit_code);
void add_job_commands(CLI::App& app, Globals& globals, int& exit_code);
void add_batch_commands(CLI::App& app, Globals& globals, int& exit_code);  // naq batch
void add_worker_commands(CLI::App& app, Globals& globals, int& exit_code);
void add_queue_commands(CLI::App& app, Globals& globals, int& exit_code);
void add_dev_commands(CLI::App& app, Globals& globals, int& exit_code);
void add_schedule_commands(CLI::App& app, Globals& globals, int& exit_code);
void add_scheduler_commands(CLI::App& app, Globals& globals, int& exit_code);
void add_dead_commands(CLI::App& app, Globals& globals, int& exit_code);
void add_workers_commands(CLI::App& app, Globals& globals, int& exit_code);    // naq workers
void add_events_commands(CLI::App& app, Globals& globals, int& exit_code);     // naq events
void add_top_commands(CLI::App& app, Globals& globals, int& exit_code);        // naq top
void add_dashboard_commands(CLI::App& app, Globals& globals, int& exit_code);  // naq dashboard

}  // namespace naq::cli
