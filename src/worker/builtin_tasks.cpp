// Built-in tasks: echo, sleep, fail (tests and demos) and exec (opt-in: runs commands).
#include <algorithm>
#include <string>

#include "naq/errors.hpp"
#include "naq/task_registry.hpp"
#include "subprocess.hpp"

namespace naq {

namespace {

Json echo(JobContext&, const Json& args) { return args; }

// {"ms": 250} or {"seconds": 1.5}; wakes early when cancelled. Reports its progress every
// 100 ms (a demo of JobContext::progress: `naq job ID --follow`).
Json sleep(JobContext& ctx, const Json& args) {
    double ms = 0;
    if (args.contains("ms") && args["ms"].is_number()) ms = args["ms"].get<double>();
    if (args.contains("seconds") && args["seconds"].is_number()) ms = args["seconds"].get<double>() * 1000;
    const auto total = std::chrono::milliseconds(static_cast<int64_t>(std::max(0.0, std::min(ms, 1e15))));
    constexpr std::chrono::milliseconds kStep{100};
    for (auto slept = std::chrono::milliseconds(0); slept < total;) {
        auto step = std::min(kStep, total - slept);
        ctx.sleep_for(step);
        slept += step;
        ctx.progress(static_cast<double>(slept.count()) / static_cast<double>(total.count()),
                     "slept " + std::to_string(slept.count()) + " of " + std::to_string(total.count()) + " ms");
    }
    return {{"slept_ms", total.count()}};
}

// {"message": "..."}: always fails; with {"times": n} fails the first n attempts, then succeeds.
Json fail(JobContext& ctx, const Json& args) {
    std::string message = args.value("message", std::string("failed on purpose"));
    int times = args.value("times", -1);
    if (times < 0 || ctx.attempt() <= times) throw JobFailed(message);
    return {{"succeeded_on_attempt", ctx.attempt()}};
}

// The exec task's arguments. Anything ambiguous is an error: a NUL byte would silently cut an
// argument, and with both cmd and shell one of them would silently be ignored.
std::vector<std::string> exec_argv(const Json& args) {
    const std::string usage = "exec: give {\"cmd\": [\"prog\", \"arg\"]} or {\"shell\": \"command\"}";
    if (!args.is_object()) throw InvalidArgument(usage);
    const bool has_cmd = args.contains("cmd");
    const bool has_shell = args.contains("shell");
    if (has_cmd && has_shell) throw InvalidArgument("exec: give cmd or shell, not both");
    auto checked = [](const Json& v, const std::string& what) {
        if (!v.is_string()) throw InvalidArgument("exec: " + what + " must be a string");
        const auto& text = v.get_ref<const std::string&>();
        if (text.find('\0') != std::string::npos) throw InvalidArgument("exec: " + what + " holds a NUL byte");
        return text;
    };
    std::vector<std::string> argv;
    if (has_cmd) {
        const Json& cmd = args.at("cmd");
        if (!cmd.is_array() || cmd.empty()) throw InvalidArgument("exec: cmd must be a non-empty array of strings");
        for (std::size_t i = 0; i < cmd.size(); ++i) argv.push_back(checked(cmd[i], "cmd[" + std::to_string(i) + "]"));
    } else if (has_shell) {
        argv = {"/bin/sh", "-c", checked(args.at("shell"), "shell")};
    } else {
        throw InvalidArgument(usage);
    }
    return argv;
}

// {"cmd": ["prog", "arg", ...]} or {"shell": "a | b"}; optional {"grace_ms": 2000}.
Json exec(JobContext& ctx, const Json& args, const std::vector<std::string>& env_names) {
    std::vector<std::string> argv = exec_argv(args);
    const Json* grace_ms = args.contains("grace_ms") ? &args.at("grace_ms") : nullptr;
    if (grace_ms != nullptr &&
        (!grace_ms->is_number_integer() || grace_ms->get<int64_t>() < 0 || grace_ms->get<int64_t>() > 3'600'000)) {
        throw InvalidArgument("exec: grace_ms must be an integer from 0 to 3600000");
    }
    auto grace = std::chrono::milliseconds(grace_ms != nullptr ? grace_ms->get<int64_t>() : 2000);
    auto r = detail::run_process(argv, env_names, ctx, grace);
    if (r.killed_for_cancel) ctx.check_cancelled();
    if (r.exit_code != 0) {
        std::string why =
            r.signal != 0 ? "killed by signal " + std::to_string(r.signal) : "exit code " + std::to_string(r.exit_code);
        throw JobFailed("exec " + argv[0] + ": " + why + (r.output.empty() ? "" : ": " + r.output.substr(0, 500)));
    }
    return {{"exit_code", r.exit_code}, {"output", r.output}};
}

}  // namespace

void TaskRegistry::add_builtins(const BuiltinOptions& options) {
    add("echo", echo);
    add("sleep", sleep);
    add("fail", fail);
    if (options.allow_exec) {
        add("exec", [env = options.exec_env](JobContext& ctx, const Json& args) { return exec(ctx, args, env); });
    }
}

}  // namespace naq
