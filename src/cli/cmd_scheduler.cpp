// naq scheduler
#include "cli.hpp"
#include "naq/durations.hpp"
#include "naq/errors.hpp"
#include "naq/metrics.hpp"
#include "naq/schedule.hpp"
#include "naq/scheduler.hpp"

namespace naq::cli {

void add_scheduler_commands(CLI::App& app, Globals& g, int& exit_code) {
    struct SchedulerArgs {
        std::string name, missed_runs, catch_up;
        std::optional<int> metrics_port;
    };
    auto sa = std::make_shared<SchedulerArgs>();
    auto* cmd = app.add_subcommand("scheduler",
                                   "Fire delayed, interval and cron jobs until SIGTERM/SIGINT (run several: "
                                   "one leads, the others stand by)");
    cmd->add_option("-n,--name", sa->name, "scheduler name prefix (default: host name)");
    cmd->add_option("--missed-runs", sa->missed_runs,
                    "once|skip: runs missed while no scheduler was up "
                    "(default: scheduler.missed_runs)");
    cmd->add_option("--catch-up", sa->catch_up, "late runs younger than this fire as they are (default 60s)");
    cmd->add_option("--metrics-port", sa->metrics_port,
                    "serve Prometheus GET /metrics on this port (default: scheduler.metrics_port; 0 = off)");
    cmd->callback([&g, &exit_code, sa] {
        keep_running_when_refused();
        exit_code = run_guarded([&] {
            Config config = g.load_config();
            if (sa->metrics_port) {
                config.set("scheduler.metrics_port", std::to_string(*sa->metrics_port), "flag:--metrics-port");
            }
            SchedulerOptions options;
            options.name = sa->name;
            if (!sa->missed_runs.empty()) options.missed_runs = missed_runs_from_string(sa->missed_runs);
            if (!sa->catch_up.empty()) {
                auto d = parse_duration(sa->catch_up);
                if (!d) throw InvalidArgument("--catch-up: '" + sa->catch_up + "' is not a duration (e.g. 30s)");
                options.catch_up = *d;
            }
            Scheduler scheduler(config, options);
            SignalStopper stopper([&scheduler] { scheduler.stop(); });  // before run() opens connections
            std::unique_ptr<metrics::MetricsServer> metrics_server;     // naq_scheduler_* metrics
            if (config.scheduler.metrics_port > 0) {
                metrics_server = std::make_unique<metrics::MetricsServer>(config.scheduler.metrics_port);
            }
            scheduler.run();
            return kOk;
        });
    });
}

}  // namespace naq::cli
