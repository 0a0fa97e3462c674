#include "support/test_env.hpp"

#include "naq/connection.hpp"
#include "naq/errors.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <random>
#include <thread>

namespace naq::test {

namespace {
std::mutex g_mutex;
std::unique_ptr<LocalNatsServer> g_server;
}  // namespace

std::string shared_server_url() {
    if (const char* url = std::getenv("NAQ_TEST_NATS_URL"); url != nullptr && *url != '\0') return url;
    std::lock_guard lock(g_mutex);
    if (!g_server) g_server = std::make_unique<LocalNatsServer>();
    return g_server->url();
}

LocalNatsServer* shared_server() {
    shared_server_url();
    return g_server.get();
}

Config config_for(const std::string& url) {
    static std::atomic<int> counter{0};
    static const unsigned run = std::random_device{}() % 100000;
    Config config;
    config.nats.servers = {url};
    config.nats.connect_timeout = std::chrono::milliseconds(2000);
    config.jetstream.prefix = "t" + std::to_string(run) + "_" + std::to_string(counter++);
    config.log.level = naq::LogLevel::warn;
    return config;
}

Config test_config() { return config_for(shared_server_url()); }

void set_stream_max_msg_size(const Config& config, const std::string& stream, int64_t max_msg_size) {
    auto conn = connection(config);
    Json info = Json::parse(conn.request("$JS.API.STREAM.INFO." + stream, "", std::chrono::seconds(5)));
    if (!info.contains("config")) throw Error("stream info of " + stream + ": " + info.dump());
    Json stream_config = info["config"];
    stream_config["max_msg_size"] = max_msg_size;
    Json answer =
        Json::parse(conn.request("$JS.API.STREAM.UPDATE." + stream, stream_config.dump(), std::chrono::seconds(5)));
    if (answer.contains("error")) throw Error("stream update of " + stream + ": " + answer.dump());
}

bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
        if (condition()) return true;
        if (std::chrono::steady_clock::now() >= deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
}

PrivateNatsServer::~PrivateNatsServer() { close_all_connections(); }

RunningWorker::RunningWorker(const Config& config, const TaskRegistry& tasks, WorkerOptions options)
    : worker_(std::make_unique<Worker>(config, tasks, std::move(options))) {
    thread_ = std::thread([this] { worker_->run(); });
    worker_->wait_started();
}

RunningWorker::~RunningWorker() {
    worker_->stop();
    thread_.join();
}

QueueWithWorker::QueueWithWorker(const std::string& queue_name, const Config& config)
    : config(config), queue(queue_name, config), results(config) {}

QueueWithWorker::~QueueWithWorker() { stop_workers(); }

Worker& QueueWithWorker::start_worker(WorkerOptions options) {
    if (options.queues.empty()) options.queues = {queue.name()};
    workers_.push_back(std::make_unique<RunningWorker>(config, tasks, std::move(options)));
    return workers_.back()->worker();
}

void QueueWithWorker::stop_workers() { workers_.clear(); }

int run_command(const std::string& command, std::string* out) {
    FILE* pipe = ::popen(command.c_str(), "r");
    if (pipe == nullptr) return -1;
    char buf[4096];
    std::size_t n = 0;
    while ((n = std::fread(buf, 1, sizeof(buf), pipe)) > 0) {
        if (out != nullptr) out->append(buf, n);
    }
    int status = ::pclose(pipe);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string naq_cmd(const Config& c, const std::string& args) {
    return std::string(NAQ_BINARY) + " --url " + c.nats.servers[0] + " --prefix " + c.jetstream.prefix +
           " --log-level warn " + args;
}

ChildProcess::ChildProcess(const std::string& command) {
    pid_ = ::fork();
    if (pid_ == 0) {
        ::execl("/bin/sh", "sh", "-c", ("exec " + command).c_str(), static_cast<char*>(nullptr));
        ::_exit(127);
    }
}

ChildProcess::~ChildProcess() {
    if (pid_ > 0) stop();
}

int ChildProcess::stop(int sig) {
    ::kill(pid_, sig);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
}

}  // namespace naq::test
