// naq queues | purge | queue pause | queue resume | queue limit
#include <unistd.h>

#include <iostream>
#include <optional>

#include "cli.hpp"
#include "naq/durations.hpp"
#include "naq/errors.hpp"
#include "naq/queue.hpp"
#include "naq/queue_control.hpp"
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

    auto* control = app.add_subcommand("queue", "Control a queue: pause or resume its workers, limit its rate");
    control->require_subcommand(1);
    struct ControlArgs {
        std::string queue;
        std::string reason;
    };
    auto ca = std::make_shared<ControlArgs>();
    // Both print what changed; doing what is already done is not an error (exit 0, "changed": false).
    auto report = [&g](const std::string& queue, bool paused, bool changed) {
        if (g.json) {
            std::cout << Json{{"queue", queue}, {"paused", paused}, {"changed", changed}}.dump() << "\n";
        } else if (changed) {
            std::cout << "queue " << queue
                      << (paused ? " paused: its workers stop fetching it\n"
                                 : " resumed: its workers fetch it again\n");
        } else {
            std::cout << "queue " << queue << (paused ? " was already paused\n" : " was not paused\n");
        }
    };
    auto* pause = control->add_subcommand(
        "pause", "Stop every worker of a queue from fetching it: running jobs finish, enqueueing still works");
    pause->add_option("queue", ca->queue, "queue name")->required();
    pause->add_option("-r,--reason", ca->reason, "why, shown by naq queues and the dashboard");
    pause->callback([&g, &exit_code, ca, report] {
        exit_code = run_guarded([&] {
            Queue queue(ca->queue, g.load_config());
            report(ca->queue, true, queue.pause(ca->reason));
            return kOk;
        });
    });
    auto* resume = control->add_subcommand("resume", "Let the workers of a paused queue fetch it again");
    resume->add_option("queue", ca->queue, "queue name")->required();
    resume->callback([&g, &exit_code, ca, report] {
        exit_code = run_guarded([&] {
            Queue queue(ca->queue, g.load_config());
            report(ca->queue, false, queue.resume());
            return kOk;
        });
    });

    struct LimitArgs {
        std::string queue;
        std::string rate;
        std::optional<int> concurrency;
        std::string task;
        bool clear = false;
    };
    auto la = std::make_shared<LimitArgs>();
    auto* limit = control->add_subcommand(
        "limit", "Limit a queue across all of its workers: jobs started per period, jobs running at once");
    limit->add_option("queue", la->queue, "queue name")->required();
    limit->add_option("--rate", la->rate, "at most N jobs start per period: 50/s, 1000/1m, 5/250ms; none = no limit");
    limit->add_option("--concurrency", la->concurrency, "at most K jobs of the queue run at once; 0 = no limit");
    limit->add_option("--task", la->task,
                      "with --concurrency: at most K jobs of this task (in this queue) run at once; 0 = no limit");
    limit->add_flag("--clear", la->clear, "remove every limit of the queue");
    limit->callback([&g, &exit_code, la] {
        exit_code = run_guarded([&] {
            Queue queue(la->queue, g.load_config());
            QueueLimits limits = queue.control().limits;  // what is not given stays as it is
            if (la->clear) limits = QueueLimits{};
            if (!la->task.empty()) {
                if (!la->concurrency || !la->rate.empty()) {
                    throw InvalidArgument("--task " + la->task +
                                          ": give its limit with --concurrency K (and no --rate)");
                }
                if (*la->concurrency == 0) {
                    limits.tasks.erase(la->task);
                } else {
                    limits.tasks[la->task] = *la->concurrency;
                }
                la->concurrency.reset();
            }
            if (la->rate == "none" || la->rate == "0") {
                limits.rate_max = 0;
            } else if (!la->rate.empty() && !parse_rate(la->rate, limits)) {
                throw InvalidArgument("--rate " + la->rate + ": expected jobs/period, e.g. 50/s, 1000/1m or 5/250ms");
            }
            if (la->concurrency) limits.concurrency = *la->concurrency;
            const bool changed = queue.set_limits(limits);
            const std::string rate = limits.rate_max > 0 ? rate_text(limits) : "none";
            const std::string running = limits.concurrency > 0 ? std::to_string(limits.concurrency) : "none";
            if (g.json) {
                std::cout << Json{{"queue", la->queue},
                                  {"rate_max", limits.rate_max},
                                  {"rate_period_ms", limits.rate_period.count()},
                                  {"concurrency", limits.concurrency},
                                  {"tasks", limits.tasks},
                                  {"changed", changed}}
                                 .dump()
                          << "\n";
            } else {
                std::cout << "queue " << la->queue << (changed ? " limits set" : " limits unchanged") << ": rate "
                          << rate << ", concurrency " << running;
                for (const auto& [task, k] : limits.tasks) std::cout << ", task " << task << " " << k;
                std::cout << "\n";
            }
            return kOk;
        });
    });
}

}  // namespace naq::cli
