// docs/library.md, "Writing a worker": a worker binary with tasks of its own, stopped
// gracefully by SIGTERM or Ctrl-C.
//   naq_example_worker [NATS_URL]
#include <naq/naq.hpp>

#include <spdlog/spdlog.h>

#include <pthread.h>
#include <signal.h>

#include <stdexcept>
#include <thread>

using namespace std::chrono_literals;

// A task is a name and a handler: it gets the job's context and arguments; what it returns is
// the job's result; an exception fails the attempt (retried with backoff while attempts remain).
void register_tasks(naq::TaskRegistry& tasks) {
    tasks.add("render_report", [](naq::JobContext& ctx, const naq::Json& args) -> naq::Json {
        int month = args.at("month").get<int>();  // a missing argument fails the attempt
        for (int page = 1; page <= 3; ++page) {
            ctx.sleep_for(20ms);  // throws naq::Cancelled early on timeout, cancel or shutdown
        }
        ctx.log_info("report rendered");
        return {{"month", month}, {"pages", 3}, {"attempt", ctx.attempt()}};
    });
    tasks.add("send_digest", [](naq::JobContext& ctx, const naq::Json& args) -> naq::Json {
        ctx.check_cancelled();  // long loops call this now and then
        if (!args.contains("user")) throw std::invalid_argument("send_digest needs a user");
        return {{"sent", true}, {"user", args["user"]}};
    });
}

// Graceful stop: SIGTERM / SIGINT are blocked in every thread and awaited by one that calls
// worker.stop() (not async-signal-safe: never call it from a signal handler). Create it before
// worker.run() starts threads, so that they inherit the blocked mask.
class StopOnSignal {
public:
    explicit StopOnSignal(naq::Worker& worker) {
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGINT);
        sigaddset(&set, SIGTERM);
        sigaddset(&set, SIGUSR2);  // our own wake-up when run() returns for another reason
        pthread_sigmask(SIG_BLOCK, &set, nullptr);
        thread_ = std::thread([set, &worker] {
            int sig = 0;
            sigwait(&set, &sig);
            if (sig != SIGUSR2) worker.stop();
        });
    }
    ~StopOnSignal() {
        pthread_kill(thread_.native_handle(), SIGUSR2);
        thread_.join();
    }
    StopOnSignal(const StopOnSignal&) = delete;
    StopOnSignal& operator=(const StopOnSignal&) = delete;

private:
    std::thread thread_;
};

int main(int argc, char** argv) {
    try {
        naq::Config cfg = naq::Config::load();
        if (argc > 1) cfg.set("nats.servers", argv[1], "argv");
        cfg.worker.shutdown_grace = 10s;  // plain data: change fields, then validate()
        cfg.validate();

        naq::TaskRegistry tasks;                   // filled before the worker starts, read-only while it runs
        tasks.add_builtins(/*allow_exec=*/false);  // echo, sleep, fail
        register_tasks(tasks);

        naq::Worker worker{cfg, tasks, {.queues = {"reports"}, .concurrency = 8}};
        StopOnSignal stop_on_signal{worker};
        spdlog::info("worker {} serving 'reports'; SIGTERM or Ctrl-C stops it gracefully", worker.id());
        worker.run();  // returns after the graceful stop: running jobs finished or handed back

        naq::WorkerStats stats = worker.stats();
        spdlog::info("stopped: {} succeeded, {} failed, {} dead-lettered", stats.succeeded, stats.failed, stats.dead);
        return 0;
    } catch (const naq::Error& e) {
        spdlog::error("{}", e.what());
        return 1;
    }
}
