// Migration samples, category D: multi-step work over several handles.
// Compiled by the build (target naq_migration_examples) and quoted in docs/pattern_migration_guide.md.
#include <naq/errors.hpp>
#include <naq/jetstream.hpp>
#include <naq/kv_store.hpp>
#include <naq/names.hpp>

#include <string>
#include <string_view>

namespace naq_migration {

// Several steps, several handles, one pooled connection: status first, then the job, so the
// status reaches its stream before anything a worker reports. Nothing to close on any path.
uint64_t submit(const naq::Config& config, const std::string& queue, const std::string& job_id,
                std::string_view payload) {
    auto status = naq::kv_store(naq::Bucket::job_status, config);
    auto js = naq::jetstream(config);
    status.put_async(job_id, R"({"state":"queued"})");
    naq::PublishOptions options;
    options.msg_id = job_id;
    return js.publish(naq::names::queue_subject(config, queue), payload, options).sequence;
}

// Compare-and-set with retry: naq::Conflict means another writer won the race.
void bump_counter(const naq::Config& config, const std::string& key) {
    auto kv = naq::kv_store(naq::Bucket::job_status, config);
    for (int attempt = 0; attempt < 10; ++attempt) {
        try {
            auto current = kv.try_get(key);
            if (!current) {
                kv.create(key, "1");
                return;
            }
            kv.update(key, std::to_string(std::stoll(current->value) + 1), current->revision);
            return;
        } catch (const naq::Conflict&) {
            // someone else wrote first: read again
        }
    }
    throw naq::Conflict("counter " + key + ": too many concurrent writers");
}

}  // namespace naq_migration
