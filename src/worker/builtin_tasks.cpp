// Built-in tasks: echo, sleep, fail (tests and demos) and exec (opt-in: runs commands).
#include <string>

#include "naq/errors.hpp"
#include "naq/task_registry.hpp"
#include "subprocess.hpp"

namespace naq {

namespace {

Json echo(JobContext&, const Json& args) { return args; }

// {"ms": 250} or {"seconds": 1.5}; wakes early when cancelled.
Json sleep(JobContext& ctx, const Json& args) {
    double ms = 0;
    if (args.contains("ms") && args["ms"].is_number()) ms = args["ms"].get<double>();
    if (args.contains("seconds") && args["seconds"].is_number()) ms = args["seconds"].get<double>() * 1000;
    ctx.sleep_for(std::chrono::milliseconds(static_cast<int64_t>(ms)));
    return {{"slept_ms", static_cast<int64_t>(ms)}};
}

// {"message": "..."}: always fails; with {"times": n} fails the first n attempts, then succeeds.
Json fail(JobContext& ctx, const Json& args) {
    std::string message = args.value("message", std::string("failed on purpose"));
    int times = args.value("times", -1);
    if (times < 0 || ctx.attempt() <= times) throw JobFailed(message);
    return {{"succeeded_on_attempt", ctx.attempt()}};
}

// {"cmd": ["prog", "arg", ...]} or {"shell": "a | b"}; optional {"grace_ms": 2000}.
Json exec(JobContext& ctx, const Json& args) {
    std::vector<std::string> argv;
    if (args.contains("cmd") && args["cmd"].is_array()) {
        for (const auto& a : args["cmd"]) {
            if (!a.is_string()) throw InvalidArgument("exec: cmd must be an array of strings");
            argv.push_back(a.get<std::string>());
        }
    } else if (args.contains("shell") && args["shell"].is_string()) {
        argv = {"/bin/sh", "-c", args["shell"].get<std::string>()};
    } else {
        throw InvalidArgument("exec: give {\"cmd\": [\"prog\", \"arg\"]} or {\"shell\": \"command\"}");
    }
    auto grace = std::chrono::milliseconds(args.value("grace_ms", 2000));
    auto r = detail::run_process(argv, ctx, grace);
    if (r.killed_for_cancel) ctx.check_cancelled();
    if (r.exit_code != 0) {
        std::string why =
            r.signal != 0 ? "killed by signal " + std::to_string(r.signal) : "exit code " + std::to_string(r.exit_code);
        throw JobFailed("exec " + argv[0] + ": " + why + (r.output.empty() ? "" : ": " + r.output.substr(0, 500)));
    }
    return {{"exit_code", r.exit_code}, {"output", r.output}};
}

}  // namespace

void TaskRegistry::add_builtins(bool allow_exec) {
    add("echo", echo);
    add("sleep", sleep);
    add("fail", fail);
    if (allow_exec) add("exec", exec);
}

}  // namespace naq
