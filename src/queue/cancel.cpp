#include "naq/codec.hpp"
#include "naq/errors.hpp"
#include "naq/kv_store.hpp"
#include "naq/names.hpp"
#include "naq/queue.hpp"
#include "results/job_records.hpp"

namespace naq {

CancelResult cancel_job(const std::string& job_id, const Config& config) {
    names::check_job_id(job_id);
    detail::JobRecords records(config);
    auto found = records.find(job_id);
    if (!found) throw NotFound("no job " + job_id + " (unknown, or its status expired)");
    JobStatus& status = found->status;
    CancelResult result{status.state, false};
    if (is_final(status.state)) return result;

    // The request is durable (a worker that fetches the job later still sees it) and watched
    // live by every worker (a running job stops now).
    kv_store(Bucket::cancellations, config).put(job_id, codec::encode_cancel_request(job_id, now_ms()));
    result.requested = true;

    if (status.state != JobState::running) {
        // Not started: record it as cancelled now, unless a worker moved it on meanwhile.
        status.state = JobState::cancelled;
        status.updated_at_ms = now_ms();
        status.finished_at_ms = status.updated_at_ms;
        status.error = "cancelled by request";
        // When a worker picked it up meanwhile, it sees the request and records the cancellation itself.
        records.replace(*found, status);
    }
    return result;
}

}  // namespace naq
