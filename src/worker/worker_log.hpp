// Log lines of one worker: every line names the worker ("[worker <id>]"); callers add the job
// id or queue. Private to src/worker.
#pragma once

#include <spdlog/spdlog.h>

#include <string>
#include <utility>

namespace naq {

class WorkerLog {
public:
    explicit WorkerLog(std::string worker_id) : id_(std::move(worker_id)) {}

    /// "<host>-<pid>-<6 hex>": the worker's id.
    const std::string& id() const { return id_; }

    template <class... Args>
    void operator()(spdlog::level::level_enum level, spdlog::format_string_t<Args...> fmt, Args&&... args) const {
        spdlog::log(level, "[worker {}] {}", id_, fmt::format(fmt, std::forward<Args>(args)...));
    }

private:
    std::string id_;
};

}  // namespace naq
