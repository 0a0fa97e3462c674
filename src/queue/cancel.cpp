#include "naq/codec.hpp"
#include "naq/connection.hpp"
#include "naq/errors.hpp"
#include "naq/queue.hpp"

namespace naq {

CancelResult cancel_job(const std::string& job_id, const Config& config) {
    auto status_kv = kv_store(Bucket::job_status, config);
    auto entry = status_kv.try_get(job_id);
    if (!entry) throw NotFound("no job " + job_id + " (unknown, or its status expired)");
    JobStatus status = codec::decode_status(entry->value);
    CancelResult result{status.state, false};
    if (is_final(status.state)) return result;

    // The request is durable (a worker that fetches the job later still sees it) and watched
    // live by every worker (a running job stops now).
    Json request = {{"v", kWireVersion}, {"id", job_id}, {"at", now_ms()}};
    kv_store(Bucket::cancellations, config).put(job_id, request.dump());
    result.requested = true;

    if (status.state != JobState::running) {
        // Not started: record it as cancelled now, unless a worker moved it on meanwhile.
        status.state = JobState::cancelled;
        status.updated_at_ms = now_ms();
        status.finished_at_ms = status.updated_at_ms;
        status.error = "cancelled by request";
        try {
            status_kv.update(job_id, codec::encode(status), entry->revision);
        } catch (const Conflict&) {
            // A worker picked it up: it sees the request and records the cancellation itself.
        }
    }
    return result;
}

}  // namespace naq
