// naq dead list | show | requeue | purge
#include <unistd.h>

#include <iostream>

#include "cli.hpp"
#include "naq/dead_letters.hpp"
#include "naq/errors.hpp"
#include "naq/inspect_json.hpp"
#include "naq/names.hpp"

namespace naq::cli {

namespace {

bool confirm(const std::string& question) {
    if (!::isatty(STDIN_FILENO)) return false;
    std::cout << question << " [y/N] " << std::flush;
    std::string answer;
    std::getline(std::cin, answer);
    return answer == "y" || answer == "yes";
}

// The queue a command acts on: the one named (checked), or every queue with --all-queues.
// An empty or missing name never means "all": a typo must not purge every queue.
std::string chosen_queue(const CLI::Option* queue_option, const std::string& queue, bool all_queues) {
    const bool named = queue_option->count() > 0;
    if (named && all_queues) throw InvalidArgument("name a queue or pass --all-queues, not both");
    if (all_queues) return {};
    if (!named) throw InvalidArgument("name a queue, or pass --all-queues to act on every queue");
    names::check_token(queue, "queue name");
    return queue;
}

}  // namespace

void add_dead_commands(CLI::App& app, Globals& g, int& exit_code) {
    auto* dead = app.add_subcommand("dead", "Dead letters: list, show, requeue, purge");
    dead->require_subcommand(1);

    auto list_queue = std::make_shared<std::string>();
    auto* list = dead->add_subcommand("list", "List dead letters, oldest first");
    auto* list_queue_option = list->add_option("queue", *list_queue, "only this queue (default: every queue)");
    list->callback([&g, &exit_code, list_queue, list_queue_option] {
        exit_code = run_guarded([&] {
            if (list_queue_option->count() > 0) names::check_token(*list_queue, "queue name");
            auto letters = DeadLetters(g.load_config()).list(*list_queue);
            if (g.json) {
                Json out = Json::array();
                for (const auto& d : letters) out.push_back(dead_letter_json(d));
                std::cout << out.dump(2) << "\n";
                return kOk;
            }
            std::vector<std::vector<std::string>> rows;
            for (const auto& d : letters) {
                std::string error = d.error.size() > 60 ? d.error.substr(0, 57) + "..." : d.error;
                rows.push_back({d.id.empty() ? "(undecodable #" + std::to_string(d.sequence) + ")" : d.id, d.queue,
                                d.task, d.reason, format_time(d.failed_at_ms), error});
            }
            print_table({"JOB", "QUEUE", "TASK", "REASON", "FAILED_AT", "ERROR"}, rows);
            return kOk;
        });
    });

    auto show_id = std::make_shared<std::string>();
    auto* show = dead->add_subcommand("show", "Show a dead letter: the job and every attempt's error");
    show->add_option("id", *show_id, "job id")->required();
    show->callback([&g, &exit_code, show_id] {
        exit_code = run_guarded([&] {
            DeadLetter d = DeadLetters(g.load_config()).get(*show_id);
            std::cout << dead_letter_json(d).dump(2) << "\n";
            return kOk;
        });
    });

    struct RequeueArgs {
        std::string id, queue;
        bool all = false;
        bool all_queues = false;
    };
    auto ra = std::make_shared<RequeueArgs>();
    auto* requeue = dead->add_subcommand("requeue", "Put dead jobs back on their queue with fresh attempts");
    requeue->add_option("id", ra->id, "job id");
    requeue->add_flag("--all", ra->all, "every dead letter of --queue (or of every queue with --all-queues)");
    auto* requeue_queue = requeue->add_option("-q,--queue", ra->queue, "with --all: this queue");
    requeue->add_flag("--all-queues", ra->all_queues, "with --all: every queue");
    requeue->callback([&g, &exit_code, ra, requeue_queue] {
        exit_code = run_guarded([&] {
            if (ra->id.empty() == !ra->all) throw InvalidArgument("give a job id or --all");
            std::string queue;
            if (ra->all) queue = chosen_queue(requeue_queue, ra->queue, ra->all_queues);
            DeadLetters dead(g.load_config());
            std::size_t n = 0;
            if (ra->all) {
                n = dead.requeue_all(queue);
            } else {
                dead.requeue(ra->id);
                n = 1;
            }
            if (g.json) {
                std::cout << Json{{"requeued", n}}.dump() << "\n";
            } else {
                std::cout << "requeued " << n << " job(s)\n";
            }
            return kOk;
        });
    });

    struct PurgeArgs {
        std::string queue;
        bool yes = false;
        bool all_queues = false;
    };
    auto pa = std::make_shared<PurgeArgs>();
    auto* purge = dead->add_subcommand("purge", "Delete dead letters (asks first unless --yes)");
    auto* purge_queue = purge->add_option("queue", pa->queue, "the queue whose dead letters to delete");
    purge->add_flag("--all-queues", pa->all_queues, "every queue's dead letters");
    purge->add_flag("-y,--yes", pa->yes, "do not ask");
    purge->callback([&g, &exit_code, pa, purge_queue] {
        exit_code = run_guarded([&] {
            const std::string queue = chosen_queue(purge_queue, pa->queue, pa->all_queues);
            DeadLetters dead(g.load_config());
            if (!pa->yes &&
                !confirm("Delete all dead letters" + (queue.empty() ? " of every queue" : " of " + queue) + "?")) {
                std::cerr << "naq: not purged (pass --yes when not on a terminal)\n";
                return kUsage;
            }
            std::size_t n = dead.purge(queue);
            if (g.json) {
                std::cout << Json{{"purged", n}}.dump() << "\n";
            } else {
                std::cout << "purged " << n << " dead letter(s)\n";
            }
            return kOk;
        });
    });
}

}  // namespace naq::cli
