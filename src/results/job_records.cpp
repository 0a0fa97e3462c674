// The job records' one reader and writer (see job_records.hpp).
#include "results/job_records.hpp"

#include "connection/confirmed_publisher.hpp"
#include "core/enqueue_batch.hpp"
#include "naq/codec.hpp"
#include "naq/errors.hpp"
#include "naq/names.hpp"

namespace naq::detail {

JobStatus status_for(const Job& job, JobState state, int64_t at_ms) {
    JobStatus s;
    s.id = job.id;
    s.queue = job.queue;
    s.task = job.task;
    s.state = state;
    s.max_attempts = job.max_attempts;
    s.enqueued_at_ms = job.enqueued_at_ms;
    s.updated_at_ms = at_ms;
    s.depends_on = job.depends_on;
    s.unique = job.unique;
    s.batch = job.batch;
    s.priority = job.priority;
    return s;
}

JobRecords::JobRecords(const Config& config, int64_t confirmed_window) : kv_(kv_store(Bucket::job_status, config)) {
    if (confirmed_window > 0) {
        confirmed_ =
            std::make_unique<ConfirmedPublisher>(kv_.connection(), confirmed_window, config.nats.request_timeout);
    }
}

JobRecords::~JobRecords() = default;
JobRecords::JobRecords(JobRecords&&) noexcept = default;
JobRecords& JobRecords::operator=(JobRecords&&) noexcept = default;

std::optional<StoredStatus> JobRecords::find(const std::string& job_id) const {
    if (auto entry = kv_.try_get(job_id)) return StoredStatus{codec::decode_status(entry->value), entry->revision};
    auto batch_key = batch_key_of(job_id);
    if (!batch_key) return std::nullopt;
    auto batch = kv_.try_get(*batch_key);
    if (!batch) return std::nullopt;
    auto status = status_in(decode_manifest(batch->value), job_id);
    // An erased job keeps no status, even while its batch's record lives on.
    if (!status || kv_.erased(job_id)) return std::nullopt;
    return StoredStatus{std::move(*status), 0};
}

std::vector<AttemptError> JobRecords::earlier_errors(const std::string& job_id) const {
    if (auto prev = kv_.try_get(job_id)) {
        try {
            return codec::decode_status(prev->value).errors;
        } catch (const SerializationError&) {}
    }
    return {};
}

std::string JobRecords::subject(const std::string& job_id) const { return names::kv_subject(kv_.bucket(), job_id); }

void JobRecords::create_first(const JobStatus& status) const { kv_.create_nowait(status.id, codec::encode(status)); }

void JobRecords::note(const JobStatus& status) const { kv_.put_nowait(status.id, codec::encode(status)); }

void JobRecords::put_async(const JobStatus& status) const { kv_.put_async(status.id, codec::encode(status)); }

void JobRecords::put_batch_async(const std::string& batch_key, std::string_view manifest) const {
    kv_.put_async(batch_key, manifest);
}

void JobRecords::put(const JobStatus& status) const { kv_.put(status.id, codec::encode(status)); }

bool JobRecords::replace(const StoredStatus& found, const JobStatus& now) const {
    try {
        if (found.revision == 0) {
            kv_.create(now.id, codec::encode(now));  // it had only its batch's record
        } else {
            kv_.update(now.id, codec::encode(now), found.revision);
        }
        return true;
    } catch (const Conflict&) {
        return false;
    }
}

bool JobRecords::publish_succeeded(JobStatus& status, std::function<void(const std::string& error)> done) {
    if (!confirmed_) throw InvalidArgument("JobRecords::publish_succeeded needs a confirmed_window");
    std::string record = codec::encode(status);
    const int64_t max_payload = kv_.connection().max_payload();
    bool fits = static_cast<int64_t>(record.size()) <= max_payload;
    if (!fits) {
        // Stored as it is, the record would be refused on every run: keep the job's outcome and
        // say why its result is missing instead.
        status.result = Json{{"naq_result_dropped", "the result (" + std::to_string(record.size()) +
                                                        " bytes with its record) exceeds the server's max_payload of " +
                                                        std::to_string(max_payload) + " bytes"}};
        record = codec::encode(status);
    }
    confirmed_->publish(subject(status.id), record, std::move(done));
    return fits;
}

void JobRecords::purge(const std::string& job_id) const { kv_.purge(job_id); }

void JobRecords::flush(Millis timeout) const { kv_.flush_async(timeout); }

void JobRecords::sweep_unconfirmed() {
    if (confirmed_) confirmed_->sweep();
}

void JobRecords::drain(Millis timeout) {
    if (confirmed_) confirmed_->drain(timeout);
}

}  // namespace naq::detail
