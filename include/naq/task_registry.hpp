// Tasks: named handlers a worker runs, and the context each run gets.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "naq/job.hpp"
#include "naq/job_args.hpp"
#include "naq/json.hpp"

namespace naq {

/// Cancellation shared between a running job and the worker (timeouts, `naq cancel`, shutdown).
struct CancelState {
    std::atomic<bool> cancelled{false};
    std::atomic<bool> by_request{false};  ///< `naq cancel`, not a deadline or a shutdown
    std::string reason;                   ///< written before `cancelled` is set
    std::optional<std::chrono::steady_clock::time_point> deadline;
};

/// What a handler knows about the job it runs.
class JobContext {
public:
    /// Where progress() reports go (the worker writes them to the job record and the events).
    using ProgressSink = std::function<void(const JobProgress&)>;

    /// Built by the worker for each attempt (tests may build one to call a handler directly).
    JobContext(std::string id, std::string queue, std::string task, int attempt, int max_attempts,
               std::shared_ptr<CancelState> cancel, ProgressSink progress_sink = {});

    /// The job's id (also the key of its result and status records).
    const std::string& job_id() const { return id_; }
    const std::string& queue() const { return queue_; }
    const std::string& task() const { return task_; }
    /// 1 on the first run, 2 on the first retry, ...
    int attempt() const { return attempt_; }
    /// The job's attempt limit: attempt() == max_attempts() is the last try.
    int max_attempts() const { return max_attempts_; }

    /// When the job must finish, if it has a timeout.
    std::optional<std::chrono::steady_clock::time_point> deadline() const { return cancel_->deadline; }
    /// True once the job was cancelled or its deadline passed. Long handlers should check it.
    bool cancelled() const;
    /// Throws naq::Cancelled when cancelled() — the cooperative way to stop.
    void check_cancelled() const;
    /// Sleeps up to `d`, waking early (and throwing Cancelled) if the job is cancelled.
    void sleep_for(std::chrono::milliseconds d) const;

    /// Reports how far the job has got: `fraction` from 0 to 1 (clamped; NaN counts as 0) and
    /// what it is doing (cut to 1,024 bytes). Never blocks and never throws: the worker writes
    /// the latest report to the job record and a `progress` event at most every 250 ms, so a
    /// handler may call it as often as it likes. `naq job ID --follow` shows it live.
    void progress(double fraction, std::string_view message = {});

    /// Logs through spdlog with the job id and queue as context.
    void log_info(std::string_view message) const;
    void log_warn(std::string_view message) const;

    /// The shared cancellation state (to hand to helpers that run on other threads).
    const std::shared_ptr<CancelState>& cancel_state() const { return cancel_; }

private:
    std::string id_;
    std::string queue_;
    std::string task_;
    int attempt_;
    int max_attempts_;
    std::shared_ptr<CancelState> cancel_;
    ProgressSink progress_sink_;
};

/// A task handler: gets the context and the job's args, returns the result (any JSON).
/// Throwing fails the attempt (retried while attempts remain). A handler declared with
/// `const Json& args` gets them parsed; one declared with `const JobArgs& args` parses them
/// only if it calls args.json(), and can read the text as sent with args.text().
using TaskHandler = std::function<Json(JobContext&, const JobArgs& args)>;

/// Which built-in tasks TaskRegistry::add_builtins() adds.
struct BuiltinOptions {
    /// exec runs commands named by job args: only for workers whose producers are trusted.
    bool allow_exec = false;
    /// The variables of this process's environment an exec child gets (worker.exec_env); no
    /// others, since the worker's environment may hold NATS credentials.
    std::vector<std::string> exec_env{"PATH", "HOME", "LANG", "LC_ALL", "TZ", "TMPDIR"};
};

/// Task name → handler. Fill it before starting a worker; read-only while the worker runs.
class TaskRegistry {
public:
    TaskRegistry() = default;
    ~TaskRegistry();
    TaskRegistry(const TaskRegistry&) = delete;
    TaskRegistry& operator=(const TaskRegistry&) = delete;

    /// Registers (or replaces) a handler. Throws InvalidArgument for an empty name.
    void add(const std::string& name, TaskHandler handler);
    /// The handler, or nullptr when no task has that name.
    const TaskHandler* find(const std::string& name) const;
    bool contains(const std::string& name) const { return find(name) != nullptr; }
    /// Every registered task name, sorted.
    std::vector<std::string> names() const;

    /// Adds echo, sleep and fail; and exec when `options.allow_exec` (it runs commands from job
    /// args, with only `options.exec_env` of this process's environment).
    void add_builtins(const BuiltinOptions& options);
    void add_builtins(bool allow_exec) { add_builtins(BuiltinOptions{.allow_exec = allow_exec}); }

    /// Loads a plugin .so exporting `extern "C" void naq_register(naq::TaskRegistry&)`.
    /// Throws Error naming the file and the loader's message.
    void load_plugin(const std::string& path);

private:
    std::map<std::string, TaskHandler> handlers_;
    std::vector<void*> plugins_;  // dlopen handles, closed after the handlers are gone
};

}  // namespace naq

/// The symbol a plugin exports: register the plugin's tasks into `registry`. Called once per
/// load_plugin(); the plugin stays loaded as long as the registry lives.
extern "C" void naq_register(naq::TaskRegistry& registry);
