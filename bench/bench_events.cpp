// bench_events: what publishing events costs the job path. Drains N no-op jobs with
// events.enabled false, then true, on one private nats-server, several rounds interleaved, and
// prints jobs/s for each and the ratio (target: on/off >= 0.90). Not a timed test.
//
//   bench_events [--n 50000] [--rounds 3] [--concurrency 10] [--batch-window-ms 20] [--url nats://...]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "bench_support.hpp"
#include "naq/jetstream.hpp"
#include "naq/local_server.hpp"
#include "naq/queue.hpp"
#include "naq/worker.hpp"

using namespace naq;
using naq::bench::median;
using Clock = std::chrono::steady_clock;

namespace {

struct Options {
    std::size_t n = 50'000;
    int rounds = 3;
    int concurrency = 10;
    int batch_window_ms = -1;  ///< -1 = the config default
    std::string url;
};

Options parse(int argc, char** argv) {
    Options o;
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string k = argv[i];
        std::string v = argv[i + 1];
        if (k == "--n")
            o.n = std::stoul(v);
        else if (k == "--rounds")
            o.rounds = std::stoi(v);
        else if (k == "--concurrency")
            o.concurrency = std::stoi(v);
        else if (k == "--url")
            o.url = v;
        else if (k == "--batch-window-ms")
            o.batch_window_ms = std::stoi(v);
        else {
            std::fprintf(stderr, "unknown option %s\n", k.c_str());
            std::exit(2);
        }
    }
    return o;
}

// CPU seconds (user + system) of this process.
double self_cpu() {
    rusage ru{};
    ::getrusage(RUSAGE_SELF, &ru);
    return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

// The pid of the nats-server listening on `url`'s port (found by its command line), or 0.
int server_pid(const std::string& url) {
    std::string port = url.substr(url.rfind(':') + 1);
    DIR* dir = ::opendir("/proc");
    if (dir == nullptr) return 0;
    int found = 0;
    while (dirent* e = ::readdir(dir)) {
        int pid = std::atoi(e->d_name);
        if (pid <= 0) continue;
        std::ifstream f("/proc/" + std::to_string(pid) + "/cmdline");
        std::string cmd((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
        for (char& c : cmd) c = c == '\0' ? ' ' : c;
        if (cmd.find("nats-server") != std::string::npos && cmd.find(" " + port + " ") != std::string::npos) {
            found = pid;
            break;
        }
    }
    ::closedir(dir);
    return found;
}

// CPU seconds of another process (0 when unknown).
double process_cpu(int pid) {
    if (pid <= 0) return 0;
    std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
    std::string stat((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    std::istringstream rest(stat.substr(stat.rfind(')') + 2));
    std::string field;
    double utime = 0, stime = 0;
    for (int i = 3; i <= 15 && rest >> field; ++i) {
        if (i == 14) utime = std::stod(field);
        if (i == 15) stime = std::stod(field);
    }
    return (utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

struct Run {
    double jobs_per_s = 0;
    double cpu_us_per_job = 0;  ///< worker process + nats-server
    double client_us_per_job = 0;
    double server_us_per_job = 0;
};

// Drains `n` no-op jobs with a fresh prefix; returns jobs/s from the worker's start to the last ack.
Run drain(const std::string& url, int server, std::size_t n, int concurrency, int batch_window_ms, bool events,
          int round) {
    Config config;
    config.nats.servers = {url};
    config.jetstream.prefix = std::string("bev") + (events ? "on" : "off") + std::to_string(round);
    config.log.level = naq::LogLevel::warn;
    config.events.enabled = events;
    if (batch_window_ms >= 0) config.events.batch_window = Millis(batch_window_ms);
    Config producer = config;
    producer.events.enabled = false;  // measure the job path only, not the enqueued events
    Queue queue("bench", producer);
    std::vector<JobSpec> batch(n, JobSpec{"noop", Json::object(), {}});
    for (std::size_t i = 0; i < n; i += 10'000) {
        std::vector<JobSpec> part(batch.begin() + static_cast<long>(i),
                                  batch.begin() + static_cast<long>(std::min(n, i + 10'000)));
        if (!queue.enqueue_many(part).ok()) throw Error("enqueue failed");
    }
    TaskRegistry tasks;
    tasks.add("noop", [](JobContext&, const JobArgs&) -> Json { return nullptr; });
    Worker worker(config, tasks, {.queues = {"bench"}, .concurrency = concurrency});
    std::thread runner([&] { worker.run(); });
    worker.wait_started();
    auto start = Clock::now();
    double client_start = self_cpu();
    double server_start = process_cpu(server);
    while (worker.stats().succeeded < n) std::this_thread::sleep_for(std::chrono::microseconds(500));
    double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    double client = self_cpu() - client_start;
    double server_cpu = process_cpu(server) - server_start;
    double cpu = client + server_cpu;

    worker.stop();
    runner.join();
    auto js = jetstream(config);
    for (const char* s : {"_jobs", "_failed_jobs", "_events"}) {
        try {
            js.delete_stream(config.jetstream.prefix + s);
        } catch (const Error&) {}
    }
    return {static_cast<double>(n) / seconds, cpu * 1e6 / static_cast<double>(n), client * 1e6 / static_cast<double>(n),
            server_cpu * 1e6 / static_cast<double>(n)};
}

}  // namespace

int main(int argc, char** argv) {
    Options o = parse(argc, argv);
    std::unique_ptr<LocalNatsServer> server;
    std::string url = o.url;
    if (url.empty()) {
        server = std::make_unique<LocalNatsServer>();
        url = server->url();
    }
    std::printf("bench_events: %zu no-op jobs per run, concurrency %d, %d rounds, batch window %s, server %s\n", o.n,
                o.concurrency, o.rounds,
                o.batch_window_ms < 0 ? "default" : (std::to_string(o.batch_window_ms) + " ms").c_str(), url.c_str());
    const int server_process = server_pid(url);
    std::vector<double> off, on, cpu_off, cpu_on;
    for (int r = 0; r < o.rounds; ++r) {
        // Alternate which goes first so drift on a shared machine does not favour one side.
        bool on_first = r % 2 == 1;
        for (int k = 0; k < 2; ++k) {
            bool events = (k == 0) == on_first;
            Run run = drain(url, server_process, o.n, o.concurrency, o.batch_window_ms, events, r);
            (events ? on : off).push_back(run.jobs_per_s);
            (events ? cpu_on : cpu_off).push_back(run.cpu_us_per_job);
            std::printf("  round %d  events %-3s  %9.0f jobs/s  %7.1f µs CPU/job (worker %.1f + server %.1f)\n", r + 1,
                        events ? "on" : "off", run.jobs_per_s, run.cpu_us_per_job, run.client_us_per_job,
                        run.server_us_per_job);
            std::fflush(stdout);
        }
    }
    double m_off = median(off);
    double m_on = median(on);
    double ratio = m_on / m_off;
    std::printf("\n%-28s %15s %22s\n", "", "jobs/s (median)", "CPU µs/job (median)");
    std::printf("%-28s %15.0f %22.1f\n", "events off", m_off, median(cpu_off));
    std::printf("%-28s %15.0f %22.1f\n", "events on", m_on, median(cpu_on));
    std::printf("%-28s %15.3f %22.3f   target >= 0.90: %s\n", "ratio on/off (throughput; CPU)", ratio,
                median(cpu_off) / median(cpu_on), ratio >= 0.90 ? "met" : "NOT met");
    if (server_process == 0) std::printf("(server CPU not counted: its process was not found)\n");
    close_all_connections();
    return 0;
}
