// naq enqueue | result | job [--follow]
#include <iostream>

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
        if (!args_file.empty()) text = read_args_file(args_file);
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

// "40% rendered 4/10 pages"
std::string format_progress(const JobProgress& p) {
    std::string out = std::to_string(static_cast<int>(p.fraction * 100 + 0.5)) + "%";
    if (!p.message.empty()) out += " " + terminal_safe(p.message);
    return out;
}

// naq job ID --follow: a line (or, with --json, a record) per change until the job is final.
int follow_job(const ResultStore& results, const std::string& id, bool json) {
    if (!results.try_status(id)) throw NotFound("no status for job " + id + " (unknown, or expired)");
    JobWatch watch = results.watch(id);
    SignalStopper stopper([&watch] { watch.stop(); });
    while (true) {
        std::optional<JobStatus> s;
        try {
            s = watch.next(Millis(60'000));
        } catch (const Cancelled&) {
            return kOk;  // Ctrl-C / SIGTERM: stopped following, as naq events --follow
        }
        if (!s) continue;
        if (json) {
            std::cout << codec::to_json(*s).dump() << std::endl;
        } else {
            std::string line = format_time(s->updated_at_ms) + "  " + to_string(s->state) + "  attempt " +
                               std::to_string(s->attempt) + " of " + std::to_string(s->max_attempts);
            if (s->progress) line += "  " + format_progress(*s->progress);
            if (!s->error.empty()) line += "  error: " + terminal_safe(s->error);
            std::cout << line << std::endl;
        }
        if (is_final(s->state)) return s->state == JobState::succeeded ? kOk : kFailed;
    }
}

}  // namespace

void add_job_commands(CLI::App& app, Globals& g, int& exit_code) {
    // ---- enqueue
    struct EnqueueArgs {
        std::string task, queue, args_json, args_file, job_id, at, in, job_timeout, timeout = "60";
        std::string unique_for, unique_key, unique_until = "finished", priority = "normal";
        std::vector<std::string> pairs, depends_on;
        std::optional<int> max_attempts;
        bool wait = false;
    };
    auto ea = std::make_shared<EnqueueArgs>();
    auto* enqueue = app.add_subcommand("enqueue", "Put a job on a queue; prints its id (or its result with --wait)");
    enqueue->add_option("task", ea->task, "task name")->required()->check(non_empty());
    enqueue->add_option("-q,--queue", ea->queue, "queue (default: queue.default_queue)")->check(non_empty());
    enqueue->add_option("-a,--arg", ea->pairs, "argument key=value (value parsed as JSON when it is JSON)");
    auto* args = enqueue->add_option("--args", ea->args_json, "arguments as JSON")->check(non_empty());
    enqueue->add_option("--args-file", ea->args_file, "file holding the arguments as JSON")
        ->check(non_empty())
        ->excludes(args);
    enqueue->add_option("--job-id", ea->job_id, "caller-chosen id: a repeat within the dedup window is a no-op")
        ->check(non_empty());
    enqueue->add_option("--max-attempts", ea->max_attempts, "attempts before dead-lettering (1 = no retry)")
        ->check(CLI::Range(1, detail::kMaxJobAttempts));
    enqueue->add_option("--job-timeout", ea->job_timeout, "how long an attempt may run: 90 (seconds), 10m, 2h")
        ->check(duration_within(Millis(1), kLongestJobDuration));
    enqueue->add_option("--depends-on", ea->depends_on, "job id that must succeed first (repeatable)")
        ->check(non_empty());
    auto* at =
        enqueue->add_option("--at", ea->at, "run at an ISO 8601 time, e.g. 2026-11-23T18:00:00Z (needs naq scheduler)")
            ->check(non_empty());
    enqueue->add_option("--in", ea->in, "run after a delay: 90s, 10m, 2h (needs naq scheduler)")
        ->check(duration_within(Millis(0), kLongestDelay))
        ->excludes(at);
    auto* unique_for =
        enqueue
            ->add_option("--unique-for", ea->unique_for,
                         "unique job: while a job with the same task and args (or --unique-key) holds the key, "
                         "print its id instead of enqueueing; at most results.ttl: 30s, 10m, 1h")
            ->check(duration_within(Millis(1), kLongestUniqueFor));
    enqueue->add_option("--unique-key", ea->unique_key, "what makes jobs the same (default: the task and its args)")
        ->check(non_empty())
        ->needs(unique_for);
    enqueue
        ->add_option("--unique-until", ea->unique_until,
                     "finished: the key is held while the job is queued or running (default); expiry: for the "
                     "whole --unique-for")
        ->check(CLI::IsMember({"finished", "expiry"}))
        ->needs(unique_for);
    enqueue
        ->add_option("-p,--priority", ea->priority,
                     "high jobs start before normal ones, normal before low, within the queue (default normal)")
        ->check(CLI::IsMember({"high", "normal", "low"}));
    enqueue->add_flag("-w,--wait", ea->wait, "wait for the result and print it");
    enqueue->add_option("-t,--timeout", ea->timeout, "how long to wait with --wait (default 60 seconds)")
        ->check(duration_within(Millis(1), kLongestWait));
    enqueue->callback([&g, &exit_code, ea] {
        exit_code = run_guarded([&] {
            // Every argument is checked before anything connects.
            EnqueueOptions opts;
            opts.job_id = ea->job_id;
            opts.max_attempts = ea->max_attempts;
            if (!ea->job_timeout.empty()) opts.timeout = duration_flag("--job-timeout", ea->job_timeout);
            opts.depends_on = ea->depends_on;
            opts.priority = priority_from_string(ea->priority);
            if (!ea->unique_for.empty()) {
                opts.unique_for = duration_flag("--unique-for", ea->unique_for);
                opts.unique_key = ea->unique_key;
                opts.unique_until = unique_until_from_string(ea->unique_until);
            }
            Json args = parse_args(ea->pairs, ea->args_json, ea->args_file);
            std::optional<std::chrono::system_clock::time_point> at;
            if (!ea->at.empty()) at = parse_iso8601(ea->at);
            Config config = g.load_config();
            Queue queue(ea->queue.empty() ? config.queue.default_queue : ea->queue, config);
            EnqueueResult r;
            if (at) {
                r.id = queue.enqueue_at(*at, ea->task, args, opts);
            } else if (!ea->in.empty()) {
                r.id = queue.enqueue_in(duration_flag("--in", ea->in), ea->task, args, opts);
            } else {
                r = queue.submit(queue.make_job(ea->task, args, opts));
            }
            if (!ea->wait) {
                if (g.json) {
                    std::cout << Json{{"id", r.id},
                                      {"queue", queue.name()},
                                      {"duplicate", r.duplicate},
                                      {"unique", r.unique}}
                                     .dump()
                              << "\n";
                } else if (r.unique) {
                    std::cout << r.id << " (duplicate: this job holds the unique key; nothing enqueued)\n";
                } else {
                    std::cout << r.id << (r.duplicate ? " (duplicate: already enqueued)" : "") << "\n";
                }
                return kOk;
            }
            return print_result(ResultStore(config).wait(r.id, duration_flag("--timeout", ea->timeout)), g.json);
        });
    });

    // ---- result
    struct ResultArgs {
        std::string id;
        bool wait = false;
        std::string timeout = "60";
    };
    auto ra = std::make_shared<ResultArgs>();
    auto* result = app.add_subcommand("result", "Print a job's result (exit 1 if the job failed, 3 if none)");
    result->add_option("id", ra->id, "job id")->required();
    result->add_flag("-w,--wait", ra->wait, "wait until the result exists");
    result->add_option("-t,--timeout", ra->timeout, "how long to wait with --wait (default 60 seconds)")
        ->check(duration_within(Millis(1), kLongestWait));
    result->callback([&g, &exit_code, ra] {
        exit_code = run_guarded([&] {
            Config config = g.load_config();
            ResultStore store(config);
            JobResult r = ra->wait ? store.wait(ra->id, duration_flag("--timeout", ra->timeout)) : store.get(ra->id);
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
    auto follow = std::make_shared<bool>(false);
    auto* job = app.add_subcommand("job", "Show a job's status: state, attempts, worker, errors, progress");
    job->add_option("id", *job_id, "job id")->required();
    job->add_flag("-f,--follow", *follow,
                  "print each change of the record (state, progress) until the job finishes; exit as naq result");
    job->callback([&g, &exit_code, job_id, follow] {
        exit_code = run_guarded([&] {
            Config config = g.load_config();
            if (*follow) return follow_job(ResultStore(config), *job_id, g.json);
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
            if (s.progress) rows.push_back({"progress", format_progress(*s.progress)});
            if (s.priority != Priority::normal) rows.push_back({"priority", to_string(s.priority)});
            if (s.batch) rows.push_back({"batch", s.batch->id + " (job " + std::to_string(s.batch->index) + ")"});
            if (s.unique) {
                rows.push_back({"unique", s.unique->key + " until " + format_time(s.unique->until_ms) + " (" +
                                              to_string(s.unique->until) + ")"});
            }
            for (const auto& e : s.errors) {
                rows.push_back({"error #" + std::to_string(e.attempt), e.error + " (" + format_time(e.at_ms) + ")"});
            }
            print_table({"FIELD", "VALUE"}, rows);
            return kOk;
        });
    });
}

}  // namespace naq::cli
