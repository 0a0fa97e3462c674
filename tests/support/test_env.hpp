// The integration tests' environment: one shared nats-server for the run (or NAQ_TEST_NATS_URL),
// a Config per test with a unique name prefix so tests never see each other's streams, and
// small helpers to wait on conditions instead of sleeping.
#pragma once

#include <chrono>
#include <condition_variable>
#include <csignal>
#include <functional>
#include <string>

#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "devserver/net_probe.hpp"
#include "naq/config.hpp"
#include "naq/local_server.hpp"
#include "naq/queue.hpp"
#include "naq/results.hpp"
#include "naq/worker.hpp"

namespace naq::test {
using naq::LocalNatsServer;

/// A server of the test's own (for connection counts, restarts, kills). Closes the pooled
/// connections before the server goes, so nothing keeps reconnecting to it afterwards.
class PrivateNatsServer : public LocalNatsServer {
public:
    using LocalNatsServer::LocalNatsServer;
    ~PrivateNatsServer();
};

/// URL of the shared test server, starting it on first use.
std::string shared_server_url();

/// The shared server when this run started one itself (nullptr when NAQ_TEST_NATS_URL is used).
LocalNatsServer* shared_server();

/// A Config pointing at the shared server, with a fresh unique jetstream.prefix.
Config test_config();

/// A Config pointing at `url` with a fresh unique prefix.
Config config_for(const std::string& url);

/// Polls `condition` (cheaply, every few ms) until true or `timeout`; returns its last value.
bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds timeout = std::chrono::seconds(10));

/// Blocks a task until released (to hold a worker busy); release it before the worker stops.
struct Gate {
    std::mutex m;
    std::condition_variable cv;
    bool open = false;
    void release() {
        std::lock_guard lock(m);
        open = true;
        cv.notify_all();
    }
    void wait() {
        std::unique_lock lock(m);
        cv.wait(lock, [this] { return open; });
    }
};

/// A Worker running on its own thread for the length of a scope; stops gracefully on exit.
class RunningWorker {
public:
    RunningWorker(const Config& config, const TaskRegistry& tasks, WorkerOptions options = {});
    ~RunningWorker();
    Worker& worker() { return *worker_; }

private:
    std::unique_ptr<Worker> worker_;
    std::thread thread_;
};

/// The cast of most integration tests: one queue on a deployment of its own, the tasks its
/// workers know, and the deployment's job records. Register tasks, then start_worker(); workers
/// stop gracefully at stop_workers() or when the fixture goes. State a task captures must be
/// declared before the fixture, so that it outlives the workers.
struct QueueWithWorker {
    /// A queue named `queue_name`; `config` defaults to a fresh test_config().
    explicit QueueWithWorker(const std::string& queue_name, const Config& config = test_config());
    ~QueueWithWorker();
    QueueWithWorker(const QueueWithWorker&) = delete;
    QueueWithWorker& operator=(const QueueWithWorker&) = delete;

    /// Starts a worker on its own thread, serving this queue unless `options.queues` names others.
    Worker& start_worker(WorkerOptions options = {});
    /// Stops every running worker gracefully (in-flight jobs get worker.shutdown_grace).
    void stop_workers();

    std::string enqueue(const std::string& task, const Json& args = Json::object(),
                        const EnqueueOptions& options = {}) {
        return queue.enqueue(task, args, options);
    }
    /// The job's result once it has finished (a KV watch, no polling); throws Timeout.
    JobResult wait_result(const std::string& job_id, Millis timeout = std::chrono::seconds(10)) const {
        return results.wait(job_id, timeout);
    }
    /// The job's record once its state is final; throws Timeout.
    JobStatus wait_final(const std::string& job_id, Millis timeout = std::chrono::seconds(10)) const {
        return results.wait_final(job_id, timeout);
    }

    const Config config;
    TaskRegistry tasks;
    Queue queue;
    ResultStore results;

private:
    std::vector<std::unique_ptr<RunningWorker>> workers_;  // last member: stopped before `tasks` goes
};

/// Changes one stream's max_msg_size through the JetStream API (what `nats stream edit` does);
/// -1 = no limit. Throws naq::Error when the server refuses.
void set_stream_max_msg_size(const Config& config, const std::string& stream, int64_t max_msg_size);

/// Runs a shell command, returns its exit code; stdout goes to `out` when given.
int run_command(const std::string& command, std::string* out = nullptr);

/// A background shell command (`exec`ed, so signals reach it), stopped with SIGTERM when it
/// leaves scope unless stop() already reaped it.
class ChildProcess {
public:
    explicit ChildProcess(const std::string& command);
    ~ChildProcess();
    ChildProcess(const ChildProcess&) = delete;
    ChildProcess& operator=(const ChildProcess&) = delete;
    /// Sends `sig` and waits: the exit code, or -signal when a signal ended it.
    int stop(int sig = SIGTERM);

private:
    int pid_ = -1;
};

/// `naq --url URL --prefix P --log-level warn <args>` as a shell command line for `c`.
std::string naq_cmd(const Config& c, const std::string& args);

}  // namespace naq::test
