// Tables and refresh loops shared by `naq queues`, `naq workers`, `naq top` and `naq events`.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "naq/config.hpp"
#include "naq/events.hpp"
#include "naq/inspect_json.hpp"
#include "naq/json.hpp"
#include "naq/queue_stats.hpp"
#include "naq/worker_status.hpp"
#include "naq/workers.hpp"

namespace naq::cli {

/// True when stdout is a terminal (refreshing views clear the screen only then).
bool stdout_is_tty();

/// Calls `frame` now and then every `interval` until SIGINT/SIGTERM. Clears the screen before
/// each frame when `clear` and stdout is a terminal. Must run before anything starts threads
/// (it installs the signal handling). Returns kOk after a signal.
int refresh_loop(Millis interval, bool clear, const std::function<void()>& frame);

/// "850ms", "12s", "3m", "2h", "4d".
std::string format_age(int64_t ms);

void print_queue_stats(const std::vector<QueueStats>& stats);

void print_workers(const std::vector<WorkerStatus>& workers);

/// One line: time, type, queue/task, id, then the details that are set.
std::string format_event(const Event& e);

}  // namespace naq::cli
