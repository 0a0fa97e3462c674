// naq batch ID: a batch with a completion callback, how far it has got.
#include <iostream>

#include "cli.hpp"
#include "naq/queue.hpp"
#include "naq/results.hpp"

namespace naq::cli {

namespace {

std::string batch_stage(const BatchState& b) {
    if (b.fired) return "complete (callback enqueued)";
    if (b.complete()) return "complete (callback being enqueued)";
    return b.sealed ? "running" : "being enqueued";
}

}  // namespace

void add_batch_commands(CLI::App& app, Globals& g, int& exit_code) {
    auto id = std::make_shared<std::string>();
    auto* batch = app.add_subcommand("batch", "Show a batch with a completion callback: jobs final, counts, callback");
    batch->add_option("id", *id, "batch id (BatchResult::batch_id)")->required();
    batch->callback([&g, &exit_code, id] {
        exit_code = run_guarded([&] {
            Config config = g.load_config();
            BatchState b = batch_state(*id, config);
            std::optional<JobStatus> callback;
            if (b.fired) callback = ResultStore(config).try_status(b.callback_job_id());
            if (g.json) {
                Json j = to_json(b);
                j.erase("done");  // the bits: their count is "finished"
                j["finished"] = b.finished();
                j["callback_job"] = {{"id", b.callback_job_id()},
                                     {"state", callback ? Json(to_string(callback->state)) : Json()}};
                std::cout << j.dump(2) << "\n";
                return kOk;
            }
            print_table(
                {"FIELD", "VALUE"},
                {
                    {"id", b.id},
                    {"queue", b.queue},
                    {"state", batch_stage(b)},
                    {"finished", std::to_string(b.finished()) + " of " + std::to_string(b.total)},
                    {"succeeded", std::to_string(b.succeeded)},
                    {"dead", std::to_string(b.dead)},
                    {"cancelled", std::to_string(b.cancelled)},
                    {"skipped", std::to_string(b.skipped)},
                    {"callback", b.callback.task + " on " + (b.callback.queue.empty() ? b.queue : b.callback.queue)},
                    {"callback job",
                     b.callback_job_id() + (callback ? " (" + std::string(to_string(callback->state)) + ")" : "")},
                    {"created", format_time(b.created_at_ms)},
                    {"completed", format_time(b.completed_at_ms)},
                });
            return kOk;
        });
    });
}

}  // namespace naq::cli
