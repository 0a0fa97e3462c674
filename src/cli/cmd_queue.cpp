// naq queues | purge
#include <unistd.h>

#include <iostream>

#include "cli.hpp"
#include "naq/queue.hpp"
#include "naq/queue_stats.hpp"
#include "views.hpp"

namespace naq::cli {

void add_queue_commands(CLI::App& app, Globals& g, int& exit_code) {
    auto* queues = app.add_subcommand(
        "queues", "List queues: pending, in flight, redelivered, dead letters, jobs finished in the last minute");
    queues->callback([&g, &exit_code] {
        exit_code = run_guarded([&] {
            Config config = g.load_config();
            auto stats = queue_stats(config);
            if (g.json) {
                std::cout << queue_stats_json(stats).dump(2) << "\n";
            } else {
                print_queue_stats(stats);
            }
            return kOk;
        });
    });

    struct PurgeArgs {
        std::string queue;
        bool yes = false;
    };
    auto pa = std::make_shared<PurgeArgs>();
    auto* purge = app.add_subcommand("purge", "Remove every waiting job of a queue (asks first unless --yes)");
    purge->add_option("queue", pa->queue, "queue name")->required();
    purge->add_flag("-y,--yes", pa->yes, "do not ask");
    purge->callback([&g, &exit_code, pa] {
        exit_code = run_guarded([&] {
            Config config = g.load_config();
            Queue queue(pa->queue, config);
            if (!pa->yes) {
                if (!::isatty(STDIN_FILENO)) {
                    std::cerr << "naq: purge " << pa->queue << ": not a terminal; pass --yes to confirm\n";
                    return kUsage;
                }
                std::cout << "Remove all " << queue.counts().stored << " waiting job(s) of queue '" << pa->queue
                          << "'? [y/N] " << std::flush;
                std::string answer;
                std::getline(std::cin, answer);
                if (answer != "y" && answer != "yes") {
                    std::cout << "not purged\n";
                    return kFailed;
                }
            }
            uint64_t removed = queue.purge();
            if (g.json) {
                std::cout << Json{{"queue", pa->queue}, {"purged", removed}}.dump() << "\n";
            } else {
                std::cout << "purged " << removed << " job(s) from " << pa->queue << "\n";
            }
            return kOk;
        });
    });
}

}  // namespace naq::cli
