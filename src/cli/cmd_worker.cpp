// naq worker
#include "cli.hpp"
#include "naq/metrics.hpp"
#include "naq/worker.hpp"

namespace naq::cli {

namespace {

// "a,b" and "a:b" name several queues in one argument: the systemd unit naq-worker@a:b.service
// passes its instance name (unit names cannot hold commas). Queue names hold neither character.
std::vector<std::string> split_queue_list(const std::vector<std::string>& args) {
    std::vector<std::string> queues;
    for (const auto& arg : args) {
        std::size_t start = 0;
        while (start <= arg.size()) {
            std::size_t end = arg.find_first_of(",:", start);
            if (end == std::string::npos) end = arg.size();
            if (end > start) queues.push_back(arg.substr(start, end - start));
            start = end + 1;
        }
    }
    return queues;
}

}  // namespace

void add_worker_commands(CLI::App& app, Globals& g, int& exit_code) {
    struct WorkerArgs {
        std::vector<std::string> queues, plugins;
        int concurrency = 0;
        std::string name;
        bool allow_exec = false;
        std::optional<int> metrics_port;
    };
    auto wa = std::make_shared<WorkerArgs>();
    auto* worker = app.add_subcommand("worker", "Run jobs from one or more queues until SIGTERM/SIGINT");
    worker->add_option("queues", wa->queues, "queues to serve; also a,b or a:b (default: queue.default_queue)");
    worker->add_option("-c,--concurrency", wa->concurrency, "jobs run at once (default: worker.concurrency)");
    worker->add_option("-n,--name", wa->name, "worker name prefix (default: host name)");
    worker->add_option("--plugin", wa->plugins, "task plugin .so exporting naq_register (repeatable)");
    worker->add_flag("--allow-exec", wa->allow_exec, "enable the exec task (runs commands from job args)");
    worker->add_option("--metrics-port", wa->metrics_port,
                       "serve Prometheus GET /metrics on this port (default: worker.metrics_port; 0 = off)");
    worker->callback([&g, &exit_code, wa] {
        exit_code = run_guarded([&] {
            Config config = g.load_config();
            if (wa->metrics_port)
                config.set("worker.metrics_port", std::to_string(*wa->metrics_port), "flag:--metrics-port");
            TaskRegistry tasks;
            tasks.add_builtins(BuiltinOptions{.allow_exec = wa->allow_exec, .exec_env = config.worker.exec_env});
            for (const auto& p : wa->plugins) tasks.load_plugin(p);
            Worker worker(config, tasks, WorkerOptions{split_queue_list(wa->queues), wa->concurrency, wa->name});
            SignalStopper stopper([&worker] { worker.stop(); });  // before run() opens connections
            std::unique_ptr<metrics::MetricsServer> metrics_server;
            if (config.worker.metrics_port > 0) {
                metrics_server = std::make_unique<metrics::MetricsServer>(config.worker.metrics_port);
            }
            worker.run();
            return kOk;
        });
    });
}

}  // namespace naq::cli
