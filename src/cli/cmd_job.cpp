// naq enqueue | result | job
#include <fstream>
#include <iostream>
#include <sstream>

#include "cli.hpp"
#include "core/json_fields.hpp"
#include "naq/codec.hpp"
#include "naq/durations.hpp"
#include "naq/errors.hpp"
#include "naq/queue.hpp"
#include "naq/results.hpp"
#include "naq/schedule.hpp"

namespace naq::cli {

Json parse_args(const std::vector<std::string>& pairs, const std::string& args_json, const std::string& args_file) {
    Json args = Json::object();
    if (!args_json.empty() || !args_file.empty()) {
        std::string text = args_json;
        if (!args_file.empty()) {
            std::ifstream in(args_file);
            if (!in) throw InvalidArgument("--args-file " + args_file + ": cannot read");
            std::stringstream ss;
            ss << in.rdbuf();
            text = ss.str();
        }
        try {
            args = json_fields::parse_value(text, args_file.empty() ? "--args" : "--args-file " + args_file);
        } catch (const SerializationError& e) {
            throw InvalidArgument(e.what());
        }
    }
    for (const auto& kv : pairs) {
        auto eq = kv.find('=');
        if (eq == std::string::npos || eq == 0) throw InvalidArgument("--arg expects key=value, got '" + kv + "'");
        if (!args.is_object()) throw InvalidArgument("--arg needs the args to be a JSON object");
        std::string value = kv.substr(eq + 1);
        // Numbers, booleans, null, arrays and objects are taken as JSON; anything else as text.
        Json parsed;
        try {
            parsed = json_fields::parse_value(value, "--arg");
        } catch (const SerializationError&) {
            parsed = value;
        }
        args[kv.substr(0, eq)] = parsed.is_string() ? Json(value) : parsed;
    }
    return args;
}

namespace {

int print_result(const JobResult& r, bool json) {
    if (json) {
        std::cout << codec::to_json(r).dump(2) << "\n";
    } else if (r.ok) {
        std::cout << r.result.dump() << "\n";
    } else {
        std::cout << "failed: " << terminal_safe(r.error) << "\n";
    }
    return r.ok ? kOk : kFailed;
}

}  // namespace

void add_job_commands(CLI::App& app, Globals& g, int& exit_code) {
    // ---- enqueue
    struct EnqueueArgs {
        std::string task, queue, args_json, args_file, job_id, at, in;
        std::vector<std::string> pairs, depends_on;
        int max_attempts = 0;
        double timeout_s = 0, job_timeout_s = 0;
        bool wait = false;
    };
    auto ea = std::make_shared<EnqueueArgs>();
    auto* enqueue = app.add_subcommand("enqueue", "Put a job on a queue; prints its id (or its result with --wait)");
    enqueue->add_option("task", ea->task, "task name")->required();
    enqueue->add_option("-q,--queue", ea->queue, "queue (default: queue.default_queue)");
    enqueue->add_option("-a,--arg", ea->pairs, "argument key=value (value parsed as JSON when it is JSON)");
    enqueue->add_option("--args", ea->args_json, "arguments as JSON");
    enqueue->add_option("--args-file", ea->args_file, "file holding the arguments as JSON");
    enqueue->add_option("--job-id", ea->job_id, "caller-chosen id: a repeat within the dedup window is a no-op");
    enqueue->add_option("--max-attempts", ea->max_attempts, "attempts before dead-lettering (1 = no retry)");
    enqueue->add_option("--job-timeout", ea->job_timeout_s, "seconds an attempt may run");
    enqueue->add_option("--depends-on", ea->depends_on, "job id that must succeed first (repeatable)");
    enqueue->add_option("--at", ea->at, "run at an ISO 8601 time, e.g. 2026-11-23T18:00:00Z (needs naq scheduler)");
    enqueue->add_option("--in", ea->in, "run after a delay: 90s, 10m, 2h (needs naq scheduler)");
    enqueue->add_flag("-w,--wait", ea->wait, "wait for the result and print it");
    enqueue->add_option("-t,--timeout", ea->timeout_s, "seconds to wait with --wait (default 60)");
    enqueue->callback([&g, &exit_code, ea] {
        exit_code = run_guarded([&] {
            Config config = g.load_config();
            Queue queue(ea->queue.empty() ? config.queue.default_queue : ea->queue, config);
            EnqueueOptions opts;
            opts.job_id = ea->job_id;
            if (ea->max_attempts > 0) opts.max_attempts = ea->max_attempts;
            if (ea->job_timeout_s > 0) opts.timeout = Millis(static_cast<int64_t>(ea->job_timeout_s * 1000));
            opts.depends_on = ea->depends_on;
            Json args = parse_args(ea->pairs, ea->args_json, ea->args_file);
            EnqueueResult r;
            if (!ea->at.empty() && !ea->in.empty()) throw InvalidArgument("give --at or --in, not both");
            if (!ea->at.empty()) {
                r.id = queue.enqueue_at(parse_iso8601(ea->at), ea->task, args, opts);
            } else if (!ea->in.empty()) {
                auto delay = parse_duration(ea->in);
                if (!delay) throw InvalidArgument("--in: '" + ea->in + "' is not a duration (e.g. 30s, 10m, 1.5h)");
                r.id = queue.enqueue_in(*delay, ea->task, args, opts);
            } else {
                r = queue.submit(queue.make_job(ea->task, args, opts));
            }
            if (!ea->wait) {
                if (g.json) {
                    std::cout << Json{{"id", r.id}, {"queue", queue.name()}, {"duplicate", r.duplicate}}.dump() << "\n";
                } else {
                    std::cout << r.id << (r.duplicate ? " (duplicate: already enqueued)" : "") << "\n";
                }
                return kOk;
            }
            Millis timeout(static_cast<int64_t>((ea->timeout_s > 0 ? ea->timeout_s : 60) * 1000));
            return print_result(ResultStore(config).wait(r.id, timeout), g.json);
        });
    });

    // ---- result
    struct ResultArgs {
        std::string id;
        bool wait = false;
        double timeout_s = 60;
    };
    auto ra = std::make_shared<ResultArgs>();
    auto* result = app.add_subcommand("result", "Print a job's result (exit 1 if the job failed, 3 if none)");
    result->add_option("id", ra->id, "job id")->required();
    result->add_flag("-w,--wait", ra->wait, "wait until the result exists");
    result->add_option("-t,--timeout", ra->timeout_s, "seconds to wait with --wait (default 60)");
    result->callback([&g, &exit_code, ra] {
        exit_code = run_guarded([&] {
            Config config = g.load_config();
            ResultStore store(config);
            JobResult r =
                ra->wait ? store.wait(ra->id, Millis(static_cast<int64_t>(ra->timeout_s * 1000))) : store.get(ra->id);
            return print_result(r, g.json);
        });
    });

    // ---- cancel
    auto cancel_id = std::make_shared<std::string>();
    auto* cancel = app.add_subcommand("cancel", "Cancel a job: a queued one never runs, a running one is stopped");
    cancel->add_option("id", *cancel_id, "job id")->required();
    cancel->callback([&g, &exit_code, cancel_id] {
        exit_code = run_guarded([&] {
            Config config = g.load_config();
            CancelResult r = cancel_job(*cancel_id, config);
            if (g.json) {
                std::cout << Json{{"id", *cancel_id},
                                  {"state_before", to_string(r.state_before)},
                                  {"requested", r.requested}}
                                 .dump()
                          << "\n";
            } else if (r.requested) {
                std::cout << "cancel requested for " << *cancel_id << " (was " << to_string(r.state_before) << ")\n";
            } else {
                std::cout << *cancel_id << " already finished (" << to_string(r.state_before)
                          << "); nothing to cancel\n";
            }
            return r.requested ? kOk : kFailed;
        });
    });

    // ---- job
    auto job_id = std::make_shared<std::string>();
    auto* job = app.add_subcommand("job", "Show a job's status: state, attempts, worker, errors");
    job->add_option("id", *job_id, "job id")->required();
    job->callback([&g, &exit_code, job_id] {
        exit_code = run_guarded([&] {
            Config config = g.load_config();
            JobStatus s = ResultStore(config).status(*job_id);
            if (g.json) {
                std::cout << codec::to_json(s).dump(2) << "\n";
                return kOk;
            }
            std::vector<std::vector<std::string>> rows = {
                {"id", s.id},
                {"queue", s.queue},
                {"task", s.task},
                {"state", to_string(s.state)},
                {"attempt", std::to_string(s.attempt) + " of " + std::to_string(s.max_attempts)},
                {"worker", s.worker.empty() ? "-" : s.worker},
                {"enqueued", format_time(s.enqueued_at_ms)},
                {"started", format_time(s.started_at_ms)},
                {"finished", format_time(s.finished_at_ms)},
            };
            if (s.next_attempt_at_ms != 0) rows.push_back({"next attempt", format_time(s.next_attempt_at_ms)});
            for (const auto& e : s.errors) {
                rows.push_back({"error #" + std::to_string(e.attempt), e.error + " (" + format_time(e.at_ms) + ")"});
            }
            print_table({"FIELD", "VALUE"}, rows);
            return kOk;
        });
    });
}

}  // namespace naq::cli
