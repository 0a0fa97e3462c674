// Migration samples, category A: simple core NATS publish / subscribe / request.
// Compiled by the build (target naq_migration_examples) and quoted in docs/pattern_migration_guide.md.
#include <naq/connection.hpp>

#include <string>
#include <string_view>
#include <utility>

namespace naq_migration {

// Publish one core NATS message. No connect, no close: the pooled connection is reused.
void notify(const naq::Config& config, const std::string& subject, std::string_view data) {
    naq::connection(config).publish(subject, data);
}

// Request/reply with the configured timeout; throws naq::Timeout when nobody answers in time.
std::string ask(const naq::Config& config, const std::string& subject, std::string_view data) {
    return naq::connection(config).request(subject, data, config.nats.request_timeout);
}

// Subscribe: the handler runs on cnats' thread until the Subscription goes out of scope.
naq::Subscription follow(const naq::Config& config, const std::string& subject, naq::Subscription::Handler handler) {
    return naq::connection(config).subscribe(subject, std::move(handler));
}

}  // namespace naq_migration
