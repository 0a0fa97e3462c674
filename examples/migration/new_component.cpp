// Migration samples: how a new component gets its handles the right way.
// Compiled by the build (target naq_migration_examples) and quoted in docs/pattern_migration_guide.md.
#include <naq/errors.hpp>
#include <naq/kv_store.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace naq_migration {

// Takes the shared Config; holds its handles as members (cheap copies of pooled bindings).
// No cnats calls, no close(): the pool owns the connection, the handles release with the object.
class AuditLog {
public:
    explicit AuditLog(const naq::Config& config) : config_(config), kv_(naq::kv_store(audit_bucket(), config)) {}

    // Hot path: do not wait for the server's ack; failures are logged and counted.
    void record(const std::string& job_id, std::string_view line) { kv_.put_async(job_id, line); }

    // Cold path: wait for the ack.
    void record_now(const std::string& job_id, std::string_view line) { kv_.put(job_id, line); }

    std::optional<std::string> find(const std::string& job_id) const {
        try {
            return kv_.get(job_id).value;
        } catch (const naq::NotFound&) {
            return std::nullopt;
        }
    }

    // Before shutdown: make sure every put_async has reached the server.
    void flush() const { kv_.flush_async(config_.nats.request_timeout); }

private:
    static naq::BucketSpec audit_bucket() {
        naq::BucketSpec spec;
        spec.name = "my_app_audit";
        spec.description = "one line per job";
        return spec;
    }

    naq::Config config_;  // a copy: the component does not depend on the caller's lifetime
    naq::KvStore kv_;
};

}  // namespace naq_migration
