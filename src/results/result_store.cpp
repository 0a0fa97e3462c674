#include "naq/results.hpp"

#include <spdlog/spdlog.h>

#include "naq/codec.hpp"
#include "naq/connection.hpp"
#include "naq/errors.hpp"
#include "results/status_lookup.hpp"

namespace naq {

namespace {

// Watches `key` until `accept` takes an entry's value, or `timeout` passes.
template <class T, class Decode, class Accept>
T watch_for(const KvStore& kv, const std::string& key, Millis timeout, Decode decode, Accept accept,
            const char* what) {
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
    throw Timeout(std::string("no ") + what + " for job " + key + " within " + std::to_string(timeout.count()) +
                  " ms");
}

}  // namespace

ResultStore::ResultStore(const Config& config) : config_(config) {}

void ResultStore::store(const JobResult& result) const {
    kv_store(Bucket::results, config_).put(result.id, codec::encode(result));
}

JobResult ResultStore::get(const std::string& job_id) const {
    auto r = try_get(job_id);
    if (!r) throw NotFound("no result for job " + job_id + " (not finished, unknown, or expired)");
    return *r;
}

std::optional<JobResult> ResultStore::try_get(const std::string& job_id) const {
    auto entry = kv_store(Bucket::results, config_).try_get(job_id);
    if (!entry) return std::nullopt;
    return codec::decode_result(entry->value);
}

JobResult ResultStore::wait(const std::string& job_id, Millis timeout) const {
    return watch_for<JobResult>(
        kv_store(Bucket::results, config_), job_id, timeout,
        [](const std::string& v) { return codec::decode_result(v); }, [](const JobResult&) { return true; },
        "result");
}

JobStatus ResultStore::status(const std::string& job_id) const {
    auto s = try_status(job_id);
    if (!s) throw NotFound("no status for job " + job_id + " (unknown, or expired)");
    return *s;
}

std::optional<JobStatus> ResultStore::try_status(const std::string& job_id) const {
    auto found = detail::find_status(kv_store(Bucket::job_status, config_), job_id);
    if (!found) return std::nullopt;
    return std::move(found->status);
}

JobStatus ResultStore::wait_final(const std::string& job_id, Millis timeout) const {
    return watch_for<JobStatus>(
        kv_store(Bucket::job_status, config_), job_id, timeout,
        [](const std::string& v) { return codec::decode_status(v); },
        [](const JobStatus& s) { return is_final(s.state); }, "final status");
}

std::size_t ResultStore::cleanup_old_results(Millis max_age) const {
    auto kv = kv_store(Bucket::results, config_);
    int64_t cutoff = now_ms() - max_age.count();
    std::size_t removed = 0;
    for (const auto& key : kv.keys()) {
        auto entry = kv.try_get(key);
        if (!entry) continue;
        int64_t finished = 0;
        try {
            finished = codec::decode_result(entry->value).finished_at_ms;
        } catch (const SerializationError& e) {
            spdlog::warn("cleanup: result {} is unreadable ({}); removing it", key, e.what());
        }
        if (finished < cutoff) {
            kv.purge(key);
            ++removed;
        }
    }
    return removed;
}

void ResultStore::erase(const std::string& job_id) const {
    kv_store(Bucket::results, config_).purge(job_id);
    kv_store(Bucket::job_status, config_).purge(job_id);
}

}  // namespace naq
