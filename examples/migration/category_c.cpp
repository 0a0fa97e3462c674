// Migration samples, category C: KV buckets.
// Compiled by the build (target naq_migration_examples) and quoted in docs/pattern_migration_guide.md.
#include <naq/kv_store.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace naq_migration {

// Read one value; a missing key is an empty optional (get() would throw naq::NotFound).
std::optional<std::string> load_result(const naq::Config& config, const std::string& job_id) {
    auto kv = naq::kv_store(naq::Bucket::results, config);
    if (auto entry = kv.try_get(job_id)) return entry->value;
    return std::nullopt;
}

// Write one value and wait for the server's ack.
uint64_t save_result(const naq::Config& config, const std::string& job_id, std::string_view encoded) {
    return naq::kv_store(naq::Bucket::results, config).put(job_id, encoded);
}

// A bucket that is not one of naq's own: describe it once, kv_store() creates it if missing.
void remember(const naq::Config& config, const std::string& key, std::string_view value) {
    naq::BucketSpec spec;
    spec.name = "my_app_cache";
    spec.ttl = naq::Millis(60'000);
    naq::kv_store(spec, config).put(key, value);
}

}  // namespace naq_migration
