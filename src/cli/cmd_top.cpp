// naq top: a refreshing terminal view of queues and workers.
#include <iostream>

#include "cli.hpp"
#include "naq/durations.hpp"
#include "naq/errors.hpp"
#include "naq/version.hpp"
#include "views.hpp"

namespace naq::cli {

void add_top_commands(CLI::App& app, Globals& g, int& exit_code) {
    struct TopArgs {
        bool once = false;
        std::string interval = "2s";
    };
    auto ta = std::make_shared<TopArgs>();
    auto* cmd =
        app.add_subcommand("top", "Refreshing view of queues (pending, in flight, dead, throughput) and workers");
    cmd->add_flag("--once", ta->once, "print one frame and exit (for scripts)");
    cmd->add_option("-i,--interval", ta->interval, "refresh interval (default 2s)");
    cmd->callback([&g, &exit_code, ta] {
        keep_running_when_refused();
        exit_code = run_guarded([&] {
            Config config = g.load_config();
            auto interval = parse_duration(ta->interval);
            if (!interval || interval->count() <= 0) {
                throw InvalidArgument("--interval: '" + ta->interval + "' is not a duration (e.g. 2s)");
            }
            auto frame = [&config, &g, ta] {
                auto queues = queue_stats(config);
                auto workers = WorkerStatusReader(config).list();
                if (g.json) {
                    Json out = {
                        {"at", now_ms()}, {"queues", queue_stats_json(queues)}, {"workers", workers_json(workers)}};
                    std::cout << out.dump(ta->once ? 2 : -1) << "\n";
                    return;
                }
                std::cout << "naq top — " << format_time(now_ms()) << "  prefix " << config.jetstream.prefix << "  ("
                          << (ta->once ? "once" : "Ctrl-C to quit") << ")\n\nQUEUES\n";
                if (queues.empty()) {
                    std::cout << "no queues\n";
                } else {
                    print_queue_stats(queues);
                }
                std::cout << "\nWORKERS\n";
                if (workers.empty()) {
                    std::cout << "no live workers\n";
                } else {
                    print_workers(workers);
                }
            };
            if (ta->once) {
                frame();
                return kOk;
            }
            return refresh_loop(*interval, !g.json, frame);
        });
    });
}

}  // namespace naq::cli
