#include "results/status_lookup.hpp"

#include "core/enqueue_batch.hpp"
#include "naq/codec.hpp"

namespace naq::detail {

std::optional<StoredStatus> find_status(const KvStore& status_kv, const std::string& job_id) {
    if (auto entry = status_kv.try_get(job_id)) return StoredStatus{codec::decode_status(entry->value), entry->revision};
    auto batch_key = batch_key_of(job_id);
    if (!batch_key) return std::nullopt;
    auto batch = status_kv.try_get(*batch_key);
    if (!batch) return std::nullopt;
    auto status = status_in(decode_manifest(batch->value), job_id);
    // An erased job keeps no status, even while its batch's record lives on.
    if (!status || status_kv.erased(job_id)) return std::nullopt;
    return StoredStatus{std::move(*status), 0};
}

}  // namespace naq::detail
