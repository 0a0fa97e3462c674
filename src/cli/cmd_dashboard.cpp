// naq dashboard [--listen 127.0.0.1:8080] [--token-file F] [--read-only]
#include <cstdlib>
#include <fstream>
#include <iostream>

#include "cli.hpp"
#include "naq/dashboard.hpp"
#include "naq/errors.hpp"

namespace naq::cli {

namespace {

struct DashboardArgs {
    std::string listen = "127.0.0.1:8080";
    std::string token_file;
    bool read_only = false;
};

// The token from --token-file (its first line), else NAQ_DASHBOARD_TOKEN; never from a flag,
// where `ps` would show it.
std::string token_from(const DashboardArgs& a) {
    std::string token;
    std::string where = "NAQ_DASHBOARD_TOKEN";
    if (!a.token_file.empty()) {
        where = "--token-file " + a.token_file;
        std::ifstream in(a.token_file);
        if (!in || !std::getline(in, token)) throw InvalidArgument(where + ": cannot read it");
        while (!token.empty() && (token.back() == '\r' || token.back() == ' ')) token.pop_back();
        if (token.empty()) throw InvalidArgument(where + ": the first line is empty");
    } else if (const char* env = std::getenv("NAQ_DASHBOARD_TOKEN")) {
        token = env;
    }
    if (!token.empty() && token.size() < 16)
        throw InvalidArgument(where + ": the token must have at least 16 characters");
    return token;
}

}  // namespace

void add_dashboard_commands(CLI::App& app, Globals& g, int& exit_code) {
    auto da = std::make_shared<DashboardArgs>();
    auto* cmd =
        app.add_subcommand("dashboard", "Serve the web dashboard (queues, jobs, dead letters, schedules, workers)");
    cmd->add_option("-l,--listen", da->listen, "host:port to serve on (default 127.0.0.1:8080; port 0: any free one)");
    cmd->add_option("--token-file", da->token_file,
                    "file whose first line is the access token (or set NAQ_DASHBOARD_TOKEN); required "
                    "to listen beyond loopback");
    cmd->add_flag("--read-only", da->read_only, "show everything, change nothing (no buttons; the API refuses POSTs)");
    cmd->callback([&g, &exit_code, da] {
        keep_running_when_refused();
        exit_code = run_guarded([&] {
            Dashboard* running = nullptr;
            std::mutex mutex;
            bool stop = false;
            SignalStopper stopper([&] {
                std::lock_guard lock(mutex);
                stop = true;
                if (running != nullptr) running->stop();
            });
            Config config = g.load_config();
            setup_logging(config);
            Dashboard board(config, {.listen = da->listen, .token = token_from(*da), .read_only = da->read_only});
            {
                std::lock_guard lock(mutex);
                if (stop) return kOk;
                running = &board;
            }
            std::cout << "naq dashboard: " << board.url() << (da->read_only ? " (read-only)" : "") << std::endl;
            board.run();
            std::lock_guard lock(mutex);
            running = nullptr;
            return kOk;
        });
    });
}

}  // namespace naq::cli
