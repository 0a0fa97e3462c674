// naq schedule add | list | show | pause | resume | modify | cancel
#include <iostream>

#include "cli.hpp"
#include "naq/durations.hpp"
#include "naq/errors.hpp"
#include "naq/inspect_json.hpp"
#include "naq/names.hpp"
#include "naq/queue.hpp"
#include "naq/schedule.hpp"
#include "naq/schedule_store.hpp"

namespace naq::cli {

namespace {

// Timing and job flags shared by `add` and `modify`.
struct TimingArgs {
    std::string cron, tz, every, at, in;
    int64_t repeat = -1;  // -1 = not given
    std::string queue, task, args_json, args_file;
    std::vector<std::string> pairs;
    std::optional<int> max_attempts;
    std::string job_timeout;
};

void add_timing_options(CLI::App* cmd, TimingArgs& t, bool modify) {
    cmd->add_option("--cron", t.cron, "cron expression, 5 or 6 fields or @daily etc. (docs/cron.md)")
        ->check(non_empty());
    cmd->add_option("--tz", t.tz, "IANA time zone of the cron expression (default UTC)")->check(non_empty());
    cmd->add_option("--every", t.every, "fixed interval: 30s, 5m, 1.5h (at least 100ms)")
        ->check(duration_within(Millis(1), kLongestDelay));
    cmd->add_option("--at", t.at, "one run at an ISO 8601 time, e.g. 2026-11-23T18:00:00Z")->check(non_empty());
    cmd->add_option("--in", t.in, "one run after a delay: 90s, 10m, 2h")
        ->check(duration_within(Millis(0), kLongestDelay));
    cmd->add_option("--repeat", t.repeat, modify ? "runs left from now (0 = forever)" : "total runs (default forever)");
    cmd->add_option("-q,--queue", t.queue, modify ? "new queue" : "queue (default: queue.default_queue)")
        ->check(non_empty());
    cmd->add_option("-a,--arg", t.pairs, "argument key=value (value parsed as JSON when it is JSON)");
    auto* args = cmd->add_option("--args", t.args_json, "arguments as JSON")->check(non_empty());
    cmd->add_option("--args-file", t.args_file, "file holding the arguments as JSON")
        ->check(non_empty())
        ->excludes(args);
    cmd->add_option("--max-attempts", t.max_attempts, "attempts of each run's job (1 = no retry)")
        ->check(CLI::Range(1, detail::kMaxJobAttempts));
    cmd->add_option("--job-timeout", t.job_timeout, "how long each run's job may run: 90 (seconds), 10m; 0 = none")
        ->check(duration_within(Millis(0), kLongestJobDuration));
}

std::chrono::system_clock::time_point at_flag(const TimingArgs& t) {
    if (!t.at.empty()) return parse_iso8601(t.at);
    return std::chrono::system_clock::now() + duration_flag("--in", t.in);
}

int count_timings(const TimingArgs& t) {
    return (t.cron.empty() ? 0 : 1) + (t.every.empty() ? 0 : 1) + (t.at.empty() ? 0 : 1) + (t.in.empty() ? 0 : 1);
}

bool has_args(const TimingArgs& t) { return !t.pairs.empty() || !t.args_json.empty() || !t.args_file.empty(); }

void print_schedule(const Schedule& s, bool json) {
    if (json) {
        std::cout << schedule_json(s).dump(2) << "\n";
        return;
    }
    std::vector<std::vector<std::string>> rows = {
        {"id", s.id},
        {"queue", s.queue},
        {"task", s.task},
        {"args", s.args.dump()},
        {"schedule", describe(s)},
        {"state", s.paused ? "paused" : "active"},
        {"next run", s.paused ? "- (paused)" : format_time(s.next_run_ms)},
        {"runs", s.repeat ? std::to_string(s.fired) + " fired, " + std::to_string(s.remaining) + " of " +
                                std::to_string(*s.repeat) + " left"
                          : std::to_string(s.fired) + " fired, no limit"},
        {"last fired", format_time(s.last_fired_ms)},
        {"created", format_time(s.created_at_ms)},
        {"updated", format_time(s.updated_at_ms)},
    };
    if (s.failures > 0 || !s.last_error.empty()) {
        rows.push_back({"failures", std::to_string(s.failures) + ": " + s.last_error});
    }
    print_table({"FIELD", "VALUE"}, rows);
}

}  // namespace

void add_schedule_commands(CLI::App& app, Globals& g, int& exit_code) {
    auto* schedule = app.add_subcommand("schedule",
                                        "Delayed, interval and cron jobs: add, list, show, pause, "
                                        "resume, modify, cancel (fired by `naq scheduler`)");
    schedule->require_subcommand(1);

    // ---- add
    struct AddArgs {
        TimingArgs t;
        std::string id;
        bool paused = false;
    };
    auto aa = std::make_shared<AddArgs>();
    auto* add = schedule->add_subcommand("add", "Store a schedule; prints its id");
    add->add_option("task", aa->t.task, "task name")->required();
    add_timing_options(add, aa->t, false);
    add->add_option("--id", aa->id, "schedule id (default: a new UUIDv7)")->check(non_empty());
    add->add_flag("--paused", aa->paused, "store it paused");
    add->callback([&g, &exit_code, aa] {
        exit_code = run_guarded([&] {
            const TimingArgs& t = aa->t;
            if (count_timings(t) != 1) throw InvalidArgument("give exactly one of --cron, --every, --at, --in");
            if (!t.tz.empty() && t.cron.empty()) throw InvalidArgument("--tz applies to --cron only");
            Config config = g.load_config();
            Queue queue(t.queue.empty() ? config.queue.default_queue : t.queue, config);
            EnqueueOptions opts;
            opts.max_attempts = t.max_attempts;
            if (!t.job_timeout.empty()) opts.timeout = duration_flag("--job-timeout", t.job_timeout);
            Json args = parse_args(t.pairs, t.args_json, t.args_file);
            ScheduleOptions so;
            so.id = aa->id;
            so.paused = aa->paused;
            if (t.repeat >= 0) so.repeat = t.repeat;
            std::string id;
            ScheduleStore store(config);
            if (!aa->id.empty() && store.try_get(aa->id)) throw Conflict("schedule '" + aa->id + "' already exists");
            if (!t.at.empty() || !t.in.empty()) {
                if (t.repeat >= 0) throw InvalidArgument("--repeat applies to --cron and --every only");
                opts.job_id = aa->id;
                id = queue.enqueue_at(at_flag(t), t.task, args, opts);
                if (aa->paused) store.pause(id);
            } else if (!t.cron.empty()) {
                id = queue.schedule(Cron{t.cron, t.tz.empty() ? "UTC" : t.tz}, t.task, args, opts, so);
            } else {
                id = queue.schedule(Every{duration_flag("--every", t.every)}, t.task, args, opts, so);
            }
            if (g.json) {
                std::cout << schedule_json(store.get(id)).dump() << "\n";
            } else {
                std::cout << id << "\n";
            }
            return kOk;
        });
    });

    // ---- list
    auto list_queue = std::make_shared<std::string>();
    auto* list = schedule->add_subcommand("list", "List schedules, soonest next run first");
    list->add_option("-q,--queue", *list_queue, "only this queue");
    list->callback([&g, &exit_code, list_queue] {
        exit_code = run_guarded([&] {
            auto all = ScheduleStore(g.load_config()).list();
            std::vector<Schedule> shown;
            for (auto& s : all) {
                if (list_queue->empty() || s.queue == *list_queue) shown.push_back(std::move(s));
            }
            if (g.json) {
                Json out = Json::array();
                for (const auto& s : shown) out.push_back(schedule_json(s));
                std::cout << out.dump(2) << "\n";
                return kOk;
            }
            std::vector<std::vector<std::string>> rows;
            for (const auto& s : shown) {
                rows.push_back({s.id, s.queue, s.task, describe(s), s.paused ? "paused" : "active",
                                s.paused ? "-" : format_time(s.next_run_ms),
                                s.repeat ? std::to_string(s.remaining) : "-"});
            }
            print_table({"ID", "QUEUE", "TASK", "SCHEDULE", "STATE", "NEXT_RUN", "LEFT"}, rows);
            return kOk;
        });
    });

    // ---- show / pause / resume / cancel: one id each
    auto add_id_command = [&](const char* name, const char* help, auto action) {
        auto id = std::make_shared<std::string>();
        auto* cmd = schedule->add_subcommand(name, help);
        cmd->add_option("id", *id, "schedule id")->required();
        cmd->callback([&g, &exit_code, id, action] {
            exit_code = run_guarded([&] {
                ScheduleStore store(g.load_config());
                action(store, *id, g.json);
                return kOk;
            });
        });
    };
    add_id_command("show", "Show a schedule", [](const ScheduleStore& store, const std::string& id, bool json) {
        print_schedule(store.get(id), json);
    });
    add_id_command("pause", "Stop firing a schedule until resumed",
                   [](const ScheduleStore& store, const std::string& id, bool json) {
                       Schedule s = store.pause(id);
                       if (json) {
                           std::cout << schedule_json(s).dump() << "\n";
                       } else {
                           std::cout << "paused " << id << "\n";
                       }
                   });
    add_id_command("resume", "Fire a paused schedule again (runs due while paused are skipped)",
                   [](const ScheduleStore& store, const std::string& id, bool json) {
                       Schedule s = store.resume(id);
                       if (json) {
                           std::cout << schedule_json(s).dump() << "\n";
                       } else {
                           std::cout << "resumed " << id << ", next run " << format_time(s.next_run_ms) << "\n";
                       }
                   });
    add_id_command("cancel", "Delete a schedule (runs already fired are not recalled)",
                   [](const ScheduleStore& store, const std::string& id, bool json) {
                       store.cancel(id);
                       if (json) {
                           std::cout << Json{{"id", id}, {"cancelled", true}}.dump() << "\n";
                       } else {
                           std::cout << "cancelled " << id << "\n";
                       }
                   });

    // ---- modify
    struct ModifyArgs {
        TimingArgs t;
        std::string id;
    };
    auto ma = std::make_shared<ModifyArgs>();
    auto* modify = schedule->add_subcommand("modify", "Change a schedule's timing, repeat, task, queue or job");
    modify->add_option("id", ma->id, "schedule id")->required();
    modify->add_option("--task", ma->t.task, "new task name");
    add_timing_options(modify, ma->t, true);
    modify->callback([&g, &exit_code, ma] {
        exit_code = run_guarded([&] {
            const TimingArgs& t = ma->t;
            if (count_timings(t) > 1) throw InvalidArgument("give at most one of --cron, --every, --at, --in");
            ScheduleChange c;
            if (!t.cron.empty()) c.cron = Cron{t.cron, t.tz.empty() ? "UTC" : t.tz};
            if (t.cron.empty() && !t.tz.empty()) c.tz = t.tz;
            if (!t.every.empty()) c.every = Every{duration_flag("--every", t.every)};
            if (!t.at.empty() || !t.in.empty()) c.at = at_flag(t);
            if (t.repeat >= 0) c.repeat = t.repeat;
            if (!t.queue.empty()) {
                names::check_token(t.queue, "queue name");
                c.queue = t.queue;
            }
            if (!t.task.empty()) c.task = t.task;
            if (has_args(t)) c.args = parse_args(t.pairs, t.args_json, t.args_file);
            if (t.max_attempts) c.max_attempts = t.max_attempts;
            if (!t.job_timeout.empty()) c.timeout = duration_flag("--job-timeout", t.job_timeout);
            Config config = g.load_config();
            Schedule s = ScheduleStore(config).modify(ma->id, c);
            if (c.queue) Queue(*c.queue, config);  // creates the streams for a queue new to this deployment
            print_schedule(s, g.json);
            return kOk;
        });
    });
}

}  // namespace naq::cli
