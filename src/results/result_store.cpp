#include "naq/results.hpp"

#include <spdlog/spdlog.h>

#include "naq/codec.hpp"
#include "naq/errors.hpp"
#include "naq/kv_store.hpp"
#include "naq/names.hpp"
#include "results/job_records.hpp"

namespace naq {

namespace {

// Watches `key` until `accept` takes an entry's value, or `timeout` passes.
template <class T, class Decode, class Accept>
T watch_for(const KvStore& kv, const std::string& key, Millis timeout, Decode decode, Accept accept, const char* what) {
    auto watcher = kv.watch(key);
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
        auto left = std::chrono::duration_cast<Millis>(deadline - std::chrono::steady_clock::now());
        if (left <= Millis(0)) break;
        auto entry = watcher.next(left);
        if (!entry) break;
        if (entry->op != KvOp::put) continue;
        T value = decode(entry->value);
        if (accept(value)) return value;
    }
    throw Timeout(std::string("no ") + what + " for job " + key + " within " + std::to_string(timeout.count()) + " ms");
}

}  // namespace

ResultStore::ResultStore(const Config& config) : config_(config) {}

JobResult ResultStore::get(const std::string& job_id) const {
    auto r = try_get(job_id);
    if (!r) throw NotFound("no result for job " + job_id + " (not finished, unknown, or expired)");
    return *r;
}

std::optional<JobResult> ResultStore::try_get(const std::string& job_id) const {
    names::check_job_id(job_id);
    auto found = detail::JobRecords(config_).find(job_id);
    if (!found) return std::nullopt;
    return result_of(found->status);
}

JobResult ResultStore::wait(const std::string& job_id, Millis timeout) const {
    return *result_of(wait_final(job_id, timeout));
}

JobStatus ResultStore::status(const std::string& job_id) const {
    auto s = try_status(job_id);
    if (!s) throw NotFound("no status for job " + job_id + " (unknown, or expired)");
    return *s;
}

std::optional<JobStatus> ResultStore::try_status(const std::string& job_id) const {
    names::check_job_id(job_id);
    auto found = detail::JobRecords(config_).find(job_id);
    if (!found) return std::nullopt;
    return std::move(found->status);
}

JobStatus ResultStore::wait_final(const std::string& job_id, Millis timeout) const {
    names::check_job_id(job_id);  // a wildcard here would watch other jobs' records
    return watch_for<JobStatus>(
        detail::JobRecords(config_).store(), job_id, timeout,
        [](const std::string& v) { return codec::decode_status(v); },
        [](const JobStatus& s) { return is_final(s.state); }, "final status");
}

JobWatch ResultStore::watch(const std::string& job_id) const {
    names::check_job_id(job_id);  // a wildcard here would follow other jobs' records
    return JobWatch(detail::JobRecords(config_).store().watch(job_id));
}

std::optional<JobStatus> JobWatch::next(Millis timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
        auto left = std::chrono::duration_cast<Millis>(deadline - std::chrono::steady_clock::now());
        if (left < Millis(0)) return std::nullopt;
        auto entry = watcher_.next(left);
        if (!entry) return std::nullopt;
        if (entry->op == KvOp::put) return codec::decode_status(entry->value);
        // caught_up, or a delete / purge of an expired record: not a version to show
    }
}

std::size_t ResultStore::cleanup_old_results(Millis max_age) const {
    detail::JobRecords records(config_);
    const KvStore& kv = records.store();
    int64_t cutoff = now_ms() - max_age.count();
    std::size_t removed = 0;
    for (const auto& key : kv.keys()) {
        auto entry = kv.try_get(key);
        if (!entry) continue;
        int64_t finished = 0;
        try {
            JobStatus s = codec::decode_status(entry->value);
            if (!is_final(s.state)) continue;  // still queued or running: not a result yet
            finished = s.finished_at_ms;
        } catch (const SerializationError&) {
            continue;  // a batch record, or not ours: left to the bucket TTL
        }
        if (finished < cutoff) {
            kv.purge(key);
            ++removed;
        }
    }
    return removed;
}

void ResultStore::erase(const std::string& job_id) const {
    names::check_job_id(job_id);
    detail::JobRecords(config_).purge(job_id);
}

}  // namespace naq
