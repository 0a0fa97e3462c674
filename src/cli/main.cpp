// The `naq` binary: parses the command line and dispatches to one command group per file.
#include <cstdlib>
#include <iostream>

#include "cli.hpp"
#include "naq/version.hpp"

int main(int argc, char** argv) {
    using namespace naq::cli;
    CLI::App app{"naq — a distributed job queue on NATS JetStream"};
    app.require_subcommand(1);
    app.fallthrough();  // global options are accepted after the subcommand too
    app.set_version_flag("--version", std::string(naq::kVersion));

    Globals globals;
    app.add_option("--config", globals.config_path, "YAML config file (default: $NAQ_CONFIG, else ./naq.yaml)");
    app.add_option("--url", globals.servers, "NATS server URL (repeatable; overrides nats.servers)");
    app.add_option("--prefix", globals.prefix, "name prefix of streams and buckets (jetstream.prefix)");
    app.add_option("--log-level", globals.log_level, "trace|debug|info|warn|error|off");
    app.add_option("--set", globals.overrides, "override any config key: --set worker.concurrency=32");
    app.add_flag("--json", globals.json, "machine-readable JSON output");

    int exit_code = kOk;
    stop_at_once_when_refused();
    add_config_commands(app, globals, exit_code);
    add_job_commands(app, globals, exit_code);
    add_batch_commands(app, globals, exit_code);
    add_worker_commands(app, globals, exit_code);
    add_queue_commands(app, globals, exit_code);
    add_dev_commands(app, globals, exit_code);
    add_schedule_commands(app, globals, exit_code);
    add_scheduler_commands(app, globals, exit_code);
    add_dead_commands(app, globals, exit_code);
    add_workers_commands(app, globals, exit_code);
    add_events_commands(app, globals, exit_code);
    add_top_commands(app, globals, exit_code);
    add_dashboard_commands(app, globals, exit_code);

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        // "A subcommand is required" hides the real mistake when a word was not understood.
        const auto unknown = app.remaining();
        if (!unknown.empty() && app.get_subcommands().empty()) {
            std::cerr << "naq: unknown command or option '" << unknown.front() << "' (naq --help lists them)\n";
            return kUsage;
        }
        int code = app.exit(e);
        return code == 0 ? kOk : kUsage;
    }
    return exit_code;
}
