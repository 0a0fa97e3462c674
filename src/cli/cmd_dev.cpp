// naq dev: a private nats-server, a worker, a scheduler and a demo batch, all in one process.
#include <unistd.h>

#include <condition_variable>
#include <iostream>
#include <memory>
#include <mutex>
#include <thread>

#include "cli.hpp"
#include "naq/dashboard.hpp"
#include "naq/errors.hpp"
#include "naq/jetstream.hpp"
#include "naq/local_server.hpp"
#include "naq/queue.hpp"
#include "naq/results.hpp"
#include "naq/scheduler.hpp"
#include "naq/worker.hpp"

namespace naq::cli {

namespace {

struct DevArgs {
    int jobs = 12;
    bool keep = false;
    int concurrency = 4;
};

// The demo batch: echoes, short sleeps, one job that fails once and then succeeds on retry,
// and one that always fails and ends in the dead-letter stream.
std::vector<JobSpec> demo_batch(int n) {
    std::vector<JobSpec> batch;
    Backoff quick{BackoffKind::fixed, Millis(200), Millis(200), false};
    for (int i = 0; i < n; ++i) {
        if (i % 2 == 0) {
            batch.push_back({"echo", {{"greeting", "hello"}, {"n", i}}, {}});
        } else {
            batch.push_back({"sleep", {{"ms", 50 + 25 * (i % 4)}}, {}});
        }
    }
    batch.push_back({"fail", {{"message", "flaky dependency"}, {"times", 1}}, {.max_attempts = 3, .backoff = quick}});
    batch.push_back({"fail", {{"message", "always broken"}}, {.max_attempts = 2, .backoff = quick}});
    return batch;
}

}  // namespace

void add_dev_commands(CLI::App& app, Globals& g, int& exit_code) {
    auto da = std::make_shared<DevArgs>();
    auto* dev = app.add_subcommand("dev", "Try naq: private nats-server + worker + a demo batch, results shown");
    dev->add_option("--jobs", da->jobs, "demo jobs besides the failing pair (default 12)");
    dev->add_option("-c,--concurrency", da->concurrency, "worker concurrency (default 4)");
    dev->add_flag("--keep", da->keep, "keep the server and worker running until Ctrl-C");
    dev->callback([&g, &exit_code, da] {
        keep_running_when_refused();
        exit_code = run_guarded([&] {
            std::mutex mutex;
            std::condition_variable cv;
            bool interrupted = false;
            Worker* running_worker = nullptr;
            Scheduler* running_scheduler = nullptr;
            Dashboard* running_dashboard = nullptr;
            SignalStopper stopper([&] {
                std::lock_guard lock(mutex);
                interrupted = true;
                if (running_worker != nullptr) running_worker->stop();
                if (running_scheduler != nullptr) running_scheduler->stop();
                if (running_dashboard != nullptr) running_dashboard->stop();
                cv.notify_all();
            });

            Config config = g.load_config();
            if (!g.log_level) config.set("log.level", "warn", "naq dev");  // keep the demo's output readable
            setup_logging(config);
            LocalNatsServer server;
            config.set("nats.servers", server.url(), "naq dev");
            set_default_config(config);
            std::cout << "nats-server  " << server.url() << " (JetStream, temporary store)\n";

            TaskRegistry tasks;
            tasks.add_builtins(false);
            Worker worker(config, tasks, WorkerOptions{{config.queue.default_queue}, da->concurrency, "dev"});
            std::thread worker_thread([&] { worker.run(); });
            worker.wait_started();
            {
                std::lock_guard lock(mutex);
                running_worker = &worker;
            }
            std::cout << "worker       " << worker.id() << " on queue " << config.queue.default_queue
                      << ", concurrency " << da->concurrency << "\n";

            Scheduler scheduler(config, {.name = "dev"});
            std::thread scheduler_thread([&] { scheduler.run(); });
            scheduler.wait_started();
            {
                std::lock_guard lock(mutex);
                running_scheduler = &scheduler;
            }
            std::cout << "scheduler    " << scheduler.id() << (scheduler.is_leader() ? " (leader)" : "") << "\n";

            // The dashboard on the usual port, or on any free one when that is taken.
            std::unique_ptr<Dashboard> board;
            try {
                board = std::make_unique<Dashboard>(config, DashboardOptions{.listen = "127.0.0.1:8080"});
            } catch (const Error&) {
                board = std::make_unique<Dashboard>(config, DashboardOptions{.listen = "127.0.0.1:0"});
            }
            std::thread dashboard_thread([&] { board->run(); });
            {
                std::lock_guard lock(mutex);
                running_dashboard = board.get();
            }
            std::cout << "dashboard    " << board->url() << (da->keep ? "" : " (until the demo ends; --keep keeps it)")
                      << "\n";

            Queue queue(config.queue.default_queue, config);
            auto batch = demo_batch(da->jobs);
            BatchResult enqueued = queue.enqueue_many(batch);
            // One delayed job, fired by the scheduler a second from now; the failing pair stays last.
            JobSpec delayed{"echo", {{"delayed", "1s"}}, {}};
            enqueued.ids.insert(enqueued.ids.end() - 2, queue.enqueue_in(Millis(1000), delayed.task, delayed.args));
            batch.insert(batch.end() - 2, delayed);
            std::cout << "enqueued     " << enqueued.ids.size() - enqueued.failures.size()
                      << " jobs (one delayed by 1 s, fired by the scheduler)\n";

            ResultStore results(config);
            const bool tty = ::isatty(STDOUT_FILENO) != 0;
            std::size_t finished = 0;
            for (std::size_t i = 0; i < enqueued.ids.size(); ++i) {
                const std::string& id = enqueued.ids[i];
                if (id.empty()) continue;
                results.wait_final(id, Millis(30'000));
                ++finished;
                if (tty) std::cout << "\rfinished     " << finished << "/" << enqueued.ids.size() << std::flush;
                std::lock_guard lock(mutex);
                if (interrupted) break;
            }
            if (!tty) std::cout << "finished     " << finished << "/" << enqueued.ids.size();
            std::cout << "\n\n";

            std::vector<std::vector<std::string>> rows;
            bool as_expected = true;
            for (std::size_t i = 0; i < enqueued.ids.size(); ++i) {
                const std::string& id = enqueued.ids[i];
                auto s = results.try_status(id);
                auto r = results.try_get(id);
                std::string outcome = r ? (r->ok ? r->result.dump() : "error: " + r->error) : "-";
                if (outcome.size() > 60) outcome = outcome.substr(0, 57) + "...";
                std::string state = s ? to_string(s->state) : "?";
                bool expect_dead = i + 1 == enqueued.ids.size();
                as_expected &= expect_dead ? state == "dead" : state == "succeeded";
                rows.push_back({id, batch[i].task, state, s ? std::to_string(s->attempt) : "-", outcome});
            }
            print_table({"JOB", "TASK", "STATE", "ATTEMPTS", "RESULT"}, rows);
            auto stats = worker.stats();
            std::cout << "\nworker: " << stats.succeeded << " succeeded, " << stats.retried << " retried, "
                      << stats.dead << " dead-lettered (the 'always broken' job, on purpose)\n";

            if (da->keep) {
                std::cout << "\nStill running. Open " << board->url() << " or try from another shell:\n  naq --url "
                          << server.url() << " enqueue echo --arg hi=there --wait\nCtrl-C to stop.\n";
                std::unique_lock lock(mutex);
                cv.wait(lock, [&] { return interrupted; });
            }
            {
                std::lock_guard lock(mutex);
                running_dashboard = nullptr;
            }
            board->stop();
            dashboard_thread.join();
            scheduler.stop();
            scheduler_thread.join();
            worker.stop();
            worker_thread.join();
            close_all_connections();  // before the server goes away, so nothing logs a disconnect
            return as_expected ? kOk : kFailed;
        });
    });
}

}  // namespace naq::cli
