// Runs a command for the exec task, with the job's cancellation: SIGTERM, then SIGKILL.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "naq/task_registry.hpp"

namespace naq::detail {

struct ProcessResult {
    int exit_code = -1;  ///< -1 when killed by a signal
    int signal = 0;
    std::string output;  ///< stdout and stderr, interleaved, truncated to 64 KiB
    bool killed_for_cancel = false;
};

/// Runs argv[0] with argv (no shell), in its own process group, with only the variables of
/// this process's environment named in `env_names`. When `ctx` is cancelled or its deadline
/// passes, the group gets SIGTERM, then SIGKILL after `grace`.
ProcessResult run_process(const std::vector<std::string>& argv, const std::vector<std::string>& env_names,
                          const JobContext& ctx, std::chrono::milliseconds grace);

}  // namespace naq::detail
