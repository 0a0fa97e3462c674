// Worker internals shared by worker.cpp (fetching, leases, shutdown) and job_runner.cpp
// (running one job and recording its outcome). Private to src/worker.
#pragma once

#include <spdlog/spdlog.h>

#include <asio/thread_pool.hpp>
#include <atomic>
#include <condition_variable>
#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "naq/connection.hpp"
#include "naq/job.hpp"
#include "naq/worker.hpp"

namespace naq {

/// A job being run: the message whose lease we extend and the job's cancellation.
struct InFlight {
    Message* msg = nullptr;
    std::shared_ptr<CancelState> cancel;
    std::string job_id;
    bool handed_back = false;  // shutdown nak'ed it: the handler's outcome must not ack
};

struct Worker::Impl {
    Impl(const Config& config, const TaskRegistry& tasks, WorkerOptions options);

    Config config;
    const TaskRegistry& tasks;
    WorkerOptions options;
    std::string id;  // "<host>-<pid>-<6 hex>": host and pid in every log line

    std::atomic<bool> stopping{false};

    // Handler slots: a fetch asks for at most as many messages as there are free slots.
    std::mutex slot_mutex;
    std::condition_variable slot_cv;
    int free_slots = 0;

    std::mutex lease_mutex;
    std::condition_variable lease_cv;
    bool leases_done = false;

    std::mutex inflight_mutex;
    std::map<uint64_t, InFlight> inflight;
    uint64_t next_token = 0;

    std::unique_ptr<asio::thread_pool> pool;
    std::optional<JetStream> js;
    std::optional<KvStore> status_kv;
    std::optional<KvStore> results_kv;

    std::atomic<uint64_t> succeeded{0}, failed{0}, retried{0}, dead{0};

    mutable std::mutex started_mutex;
    mutable std::condition_variable started_cv;
    bool started = false;
    std::exception_ptr start_error;

    void run();
    void fetch_loop(const std::string& queue);
    void lease_loop();
    void hand_back_inflight();

    // job_runner.cpp
    void process(const std::string& queue, Message msg);
    void dead_letter_undecodable(const std::string& queue, Message& msg, const std::string& error);

    template <class... Args>
    void log(spdlog::level::level_enum level, spdlog::format_string_t<Args...> fmt, Args&&... args) {
        spdlog::log(level, "[worker {}] {}", id, fmt::format(fmt, std::forward<Args>(args)...));
    }
};

}  // namespace naq
