// naq worker
#include <algorithm>
#include <optional>

#include "cli.hpp"
#include "naq/errors.hpp"
#include "naq/metrics.hpp"
#include "naq/worker.hpp"

namespace naq::cli {

namespace {

// "a,b" and "a:b" name several queues in one argument: the systemd unit naq-worker@a:b.service
// passes its instance name (unit names cannot hold commas). Queue names hold neither character.
// A part of digits only after a queue is that queue's weight: "critical:6 default:3 low:1".
struct QueueList {
    std::vector<std::string> queues;
    std::vector<int> weights;  // empty when none is given
};

QueueList split_queue_list(const std::vector<std::string>& args) {
    QueueList out;
    std::vector<std::optional<int>> weights;
    for (const auto& arg : args) {
        bool after_queue = false;
        std::size_t start = 0;
        while (start <= arg.size()) {
            std::size_t end = arg.find_first_of(",:", start);
            if (end == std::string::npos) end = arg.size();
            std::string part = arg.substr(start, end - start);
            const bool digits = !part.empty() && part.find_first_not_of("0123456789") == std::string::npos;
            if (digits && after_queue && arg[start - 1] == ':') {
                if (part.size() > 4 || std::stoi(part) < 1 || std::stoi(part) > kMaxQueueWeight) {
                    throw InvalidArgument("queue " + out.queues.back() + ": weight " + part + " must be 1 to " +
                                          std::to_string(kMaxQueueWeight));
                }
                weights.back() = std::stoi(part);
                after_queue = false;
            } else if (!part.empty()) {
                out.queues.push_back(part);
                weights.emplace_back();
                after_queue = true;
            }
            start = end + 1;
        }
    }
    const bool any = std::any_of(weights.begin(), weights.end(), [](const auto& w) { return w.has_value(); });
    if (any) {
        for (const auto& w : weights) out.weights.push_back(w.value_or(1));
    }
    return out;
}

}  // namespace

void add_worker_commands(CLI::App& app, Globals& g, int& exit_code) {
    struct WorkerArgs {
        std::vector<std::string> queues, plugins;
        int concurrency = 0;
        std::string name;
        bool allow_exec = false;
        std::optional<int> metrics_port;
        bool strict = false;
    };
    auto wa = std::make_shared<WorkerArgs>();
    auto* worker = app.add_subcommand("worker", "Run jobs from one or more queues until SIGTERM/SIGINT");
    worker->add_option("queues", wa->queues,
                       "queues to serve, each with an optional weight: critical:6 default:3 low:1 (also a,b or a:b; "
                       "default: queue.default_queue)");
    worker->add_flag("--strict", wa->strict,
                     "serve the queues in the order given: a queue's jobs start only when the ones before it have "
                     "none waiting (instead of sharing by weight)");
    worker->add_option("-c,--concurrency", wa->concurrency, "jobs run at once (default: worker.concurrency)");
    worker->add_option("-n,--name", wa->name, "worker name prefix (default: host name)");
    worker->add_option("--plugin", wa->plugins, "task plugin .so exporting naq_register (repeatable)");
    worker->add_flag("--allow-exec", wa->allow_exec, "enable the exec task (runs commands from job args)");
    worker->add_option("--metrics-port", wa->metrics_port,
                       "serve Prometheus GET /metrics on this port (default: worker.metrics_port; 0 = off)");
    worker->callback([&g, &exit_code, wa] {
        keep_running_when_refused();
        exit_code = run_guarded([&] {
            Config config = g.load_config();
            if (wa->metrics_port)
                config.set("worker.metrics_port", std::to_string(*wa->metrics_port), "flag:--metrics-port");
            TaskRegistry tasks;
            tasks.add_builtins(BuiltinOptions{.allow_exec = wa->allow_exec, .exec_env = config.worker.exec_env});
            for (const auto& p : wa->plugins) tasks.load_plugin(p);
            QueueList list = split_queue_list(wa->queues);
            if (wa->strict && !list.weights.empty()) {
                throw InvalidArgument("--strict serves queues in order: weights (queue:N) mean nothing with it");
            }
            Worker worker(config, tasks,
                          WorkerOptions{.queues = std::move(list.queues),
                                        .concurrency = wa->concurrency,
                                        .name = wa->name,
                                        .weights = std::move(list.weights),
                                        .strict = wa->strict});
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
