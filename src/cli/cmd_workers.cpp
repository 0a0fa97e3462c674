// naq workers [--watch]
#include <iostream>

#include "cli.hpp"
#include "naq/durations.hpp"
#include "naq/errors.hpp"
#include "views.hpp"

namespace naq::cli {

namespace {

Millis parse_interval(const std::string& text) {
    auto d = parse_duration(text);
    if (!d || d->count() <= 0) throw InvalidArgument("--interval: '" + text + "' is not a duration (e.g. 2s)");
    return *d;
}

}  // namespace

void add_workers_commands(CLI::App& app, Globals& g, int& exit_code) {
    struct WorkersArgs {
        bool watch = false;
        std::string interval = "2s";
    };
    auto wa = std::make_shared<WorkersArgs>();
    auto* cmd = app.add_subcommand("workers", "List live workers: state, queues, jobs in flight, counters, heartbeat");
    cmd->add_flag("-w,--watch", wa->watch, "refresh until Ctrl-C (with --json: one JSON array per line)");
    cmd->add_option("-i,--interval", wa->interval, "refresh interval with --watch (default 2s)");
    cmd->callback([&g, &exit_code, wa] {
        exit_code = run_guarded([&] {
            Config config = g.load_config();
            Millis interval = parse_interval(wa->interval);
            auto frame = [&config, &g, wa] {
                auto workers = WorkerStatusReader(config).list();
                if (g.json) {
                    std::cout << workers_json(workers).dump(wa->watch ? -1 : 2) << "\n";
                } else if (workers.empty()) {
                    std::cout << "no live workers\n";
                } else {
                    print_workers(workers);
                }
            };
            if (!wa->watch) {
                frame();
                return kOk;
            }
            return refresh_loop(interval, !g.json, frame);
        });
    });
}

}  // namespace naq::cli
