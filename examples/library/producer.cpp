// docs/library.md, "Producing jobs": one job with options, an idempotent job, a batch, and
// waiting for a result. Run `naq_example_worker` (worker.cpp) to serve the queue.
//   naq_example_producer [NATS_URL]
#include <naq/naq.hpp>

#include <spdlog/spdlog.h>

#include <string>
#include <vector>

using namespace std::chrono_literals;

naq::Config load_config(int argc, char** argv) {
    naq::Config cfg = naq::Config::load();                   // defaults < naq.yaml ($NAQ_CONFIG) < NAQ_* env
    if (argc > 1) cfg.set("nats.servers", argv[1], "argv");  // checked like a file value
    return cfg;
}

int main(int argc, char** argv) {
    try {
        naq::Config cfg = load_config(argc, argv);
        naq::Queue reports{"reports", cfg};  // creates the streams on first use

        // One job. Unset options take the config's queue defaults; returns once it is stored.
        std::string id =
            reports.enqueue("render_report", {{"month", 11}, {"format", "pdf"}},
                            {.max_attempts = 5,
                             .backoff = naq::Backoff{.kind = naq::BackoffKind::exponential, .base = 2s, .max = 1min},
                             .timeout = 2min});

        // Idempotent: a job id of your own makes a repeat within the dedup window a no-op.
        naq::EnqueueOptions monthly{.job_id = "report-2026-11"};
        reports.enqueue("render_report", {{"month", 11}}, monthly);
        naq::EnqueueResult again = reports.submit(reports.make_job("render_report", {{"month", 11}}, monthly));
        spdlog::info("second enqueue of {}: duplicate = {}", again.id, again.duplicate);

        // A batch: published without waiting for each ack, then all acks collected.
        std::vector<naq::JobSpec> batch;
        for (int user = 1; user <= 100; ++user) {
            batch.push_back({.task = "send_digest", .args = {{"user", user}}, .options = {.max_attempts = 3}});
        }
        naq::BatchResult sent = reports.enqueue_many(batch);
        for (const auto& f : sent.failures) spdlog::warn("job {} of the batch: {}", f.index, f.error);
        spdlog::info("batch: {} jobs enqueued, {} failed", batch.size() - sent.failures.size(), sent.failures.size());

        // The result, through a KV watch (no polling); naq::Timeout if none comes in time.
        naq::ResultStore results{cfg};
        naq::JobResult r = results.wait(id, 60s);
        if (!r.ok) {
            naq::JobStatus status = results.status(id);  // every attempt's error
            spdlog::error("{} failed after {} attempts: {}", id, status.attempt, r.error);
            return 1;
        }
        spdlog::info("report {}: {}", id, r.result.dump());
        return 0;
    } catch (const naq::Timeout& e) {
        spdlog::error("no result in time (is a worker serving 'reports'?): {}", e.what());
        return 4;
    } catch (const naq::Error& e) {  // ConnectionError, ApiError, InvalidArgument, ...
        spdlog::error("{}", e.what());
        return 1;
    }
}
