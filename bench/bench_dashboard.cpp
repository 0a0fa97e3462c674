// bench_dashboard: how long the dashboard's API takes on a big deployment — 100,000 pending jobs,
// 10,000 dead letters, 200 live workers (docs/dashboard.md, "Scale"). Starts a private
// nats-server, fills it, serves the dashboard on a free loopback port and times each route the
// pages call (median of 5). Not a timed test.
//
//   bench_dashboard [--pending 100000] [--dead 10000] [--workers 200]
#include <httplib.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "bench_support.hpp"
#include "naq/codec.hpp"
#include "naq/dashboard.hpp"
#include "naq/jetstream.hpp"
#include "naq/kv_store.hpp"
#include "naq/local_server.hpp"
#include "naq/names.hpp"
#include "naq/queue.hpp"
#include "naq/worker_status.hpp"

using namespace naq;

namespace {

void fill_pending(const Config& config, std::size_t n) {
    Queue q("big", config);
    std::vector<JobSpec> batch;
    for (std::size_t done = 0; done < n; done += batch.size()) {
        batch.assign(std::min<std::size_t>(10'000, n - done), JobSpec{"echo", {{"n", done}}, {}});
        q.enqueue_many(batch);
    }
}

void fill_dead(const Config& config, std::size_t n) {
    auto js = jetstream(config);
    for (std::size_t i = 0; i < n; ++i) {
        Job job;
        job.id = new_job_id();
        job.queue = "big";
        job.task = i % 10 == 0 ? "report" : "send_email";
        job.args = {{"to", "user" + std::to_string(i) + "@example.com"}};
        JobStatus status;
        status.id = job.id;
        status.queue = job.queue;
        status.task = job.task;
        status.state = JobState::dead;
        status.attempt = 3;
        status.error = i % 7 == 0 ? "SMTP timeout" : "connection refused";
        js.publish_async(names::failed_subject(config, "big"), codec::encode_dead_letter(job, status, "failed", "w-1"));
    }
    js.flush_async(std::chrono::seconds(30));
}

void fill_workers(const Config& config, int n) {
    auto kv = kv_store(Bucket::workers, config);
    for (int i = 0; i < n; ++i) {
        WorkerStatus w;
        w.id = "host" + std::to_string(i) + "-1-abcdef";
        w.state = WorkerState::busy;
        w.host = "host" + std::to_string(i);
        w.pid = 1;
        w.queues = {"big"};
        w.concurrency = 16;
        w.version = "bench";
        w.started_at_ms = now_ms();
        w.heartbeat_at_ms = now_ms();
        w.heartbeat_interval_ms = 5000;
        kv.put(w.id, encode(w));
    }
}

double median_ms(httplib::Client& http, const std::string& path, std::size_t* bytes) {
    std::vector<double> ms;
    for (int i = 0; i < 5; ++i) {
        auto start = std::chrono::steady_clock::now();
        auto res = http.Get(path);
        ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
        if (!res || res->status != 200) {
            std::fprintf(stderr, "bench_dashboard: GET %s failed (%d)\n", path.c_str(), res ? res->status : -1);
            return -1;
        }
        *bytes = res->body.size();
    }
    return bench::median(ms);
}

}  // namespace

int main(int argc, char** argv) {
    std::size_t pending = 100'000, dead = 10'000;
    int workers = 200;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (std::strcmp(argv[i], "--pending") == 0) pending = std::stoul(argv[i + 1]);
        if (std::strcmp(argv[i], "--dead") == 0) dead = std::stoul(argv[i + 1]);
        if (std::strcmp(argv[i], "--workers") == 0) workers = std::stoi(argv[i + 1]);
    }
    LocalNatsServer server;
    Config config;
    config.set("nats.servers", server.url(), "bench");
    std::printf("filling: %zu pending, %zu dead letters, %d workers\n", pending, dead, workers);
    fill_pending(config, pending);
    fill_dead(config, dead);
    fill_workers(config, workers);

    Dashboard board(config, {.listen = "127.0.0.1:0"});
    std::thread serving([&] { board.run(); });
    httplib::Client http("127.0.0.1", board.port());
    http.set_read_timeout(60, 0);
    const std::string some_job = Queue("big", config).enqueue("echo");

    std::printf("\n%-44s %10s %10s\n", "route (median of 5)", "ms", "bytes");
    const std::vector<std::string> paths = {"/api/overview",
                                            "/api/queues/big",
                                            "/api/workers",
                                            "/api/schedules",
                                            "/api/dead?limit=50",
                                            "/api/dead?queue=big&task=report&limit=50",
                                            "/api/dead?reason=no-such-error&limit=50",
                                            "/api/jobs/" + some_job};
    for (const auto& path : paths) {
        std::size_t bytes = 0;
        double ms = median_ms(http, path, &bytes);
        std::printf("%-44s %10.1f %10zu\n", path.substr(0, 44).c_str(), ms, bytes);
    }
    board.stop();
    serving.join();
    return 0;
}
