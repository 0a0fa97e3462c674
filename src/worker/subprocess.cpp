#include "subprocess.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "naq/errors.hpp"

namespace naq::detail {

namespace {
constexpr std::size_t kMaxOutput = 64 * 1024;
}

ProcessResult run_process(const std::vector<std::string>& argv, const std::vector<std::string>& env_names,
                          const JobContext& ctx, std::chrono::milliseconds grace) {
    if (argv.empty()) throw InvalidArgument("exec: empty command");
    // Built before fork: the child only calls async-signal-safe functions.
    std::vector<std::string> env;
    for (const auto& name : env_names) {
        if (const char* value = std::getenv(name.c_str())) env.push_back(name + "=" + value);
    }
    std::vector<char*> envp;
    for (auto& e : env) envp.push_back(e.data());
    envp.push_back(nullptr);
    int pipefd[2];
    if (::pipe2(pipefd, O_CLOEXEC) != 0) throw Error(std::string("exec: pipe: ") + std::strerror(errno));
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);

    pid_t pid = ::fork();
    if (pid < 0) {
        ::close(pipefd[0]);
        ::close(pipefd[1]);
        throw Error(std::string("exec: fork: ") + std::strerror(errno));
    }
    if (pid == 0) {
        ::setpgid(0, 0);  // its own group, so a kill reaches its children too
        ::dup2(pipefd[1], STDOUT_FILENO);
        ::dup2(pipefd[1], STDERR_FILENO);
        ::execvpe(args[0], args.data(), envp.data());  // PATH is searched with the worker's own
        std::fprintf(stderr, "exec %s: %s\n", args[0], std::strerror(errno));
        ::_exit(127);
    }
    ::close(pipefd[1]);
    ::setpgid(pid, pid);

    ProcessResult result;
    bool term_sent = false;
    std::chrono::steady_clock::time_point kill_at{};
    bool open = true;
    int status = 0;
    bool exited = false;
    while (!exited) {
        if (open) {
            pollfd p{pipefd[0], POLLIN, 0};
            if (::poll(&p, 1, 10) > 0) {
                char buf[4096];
                ssize_t n = ::read(pipefd[0], buf, sizeof(buf));
                if (n <= 0) {
                    open = false;
                } else if (result.output.size() < kMaxOutput) {
                    result.output.append(buf, static_cast<std::size_t>(n));
                }
            }
        } else {
            ::usleep(10'000);
        }
        if (::waitpid(pid, &status, WNOHANG) == pid) exited = true;
        if (!exited && ctx.cancelled()) {
            auto now = std::chrono::steady_clock::now();
            if (!term_sent) {
                ::kill(-pid, SIGTERM);
                term_sent = true;
                kill_at = now + grace;
                result.killed_for_cancel = true;
            } else if (now >= kill_at) {
                ::kill(-pid, SIGKILL);
            }
        }
    }
    // Drain what is left in the pipe.
    char buf[4096];
    ssize_t n = 0;
    ::fcntl(pipefd[0], F_SETFL, O_NONBLOCK);
    while (open && (n = ::read(pipefd[0], buf, sizeof(buf))) > 0) {
        if (result.output.size() < kMaxOutput) result.output.append(buf, static_cast<std::size_t>(n));
    }
    ::close(pipefd[0]);
    if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
    if (WIFSIGNALED(status)) result.signal = WTERMSIG(status);
    if (result.output.size() > kMaxOutput) result.output.resize(kMaxOutput);
    return result;
}

}  // namespace naq::detail
