// Migration samples, category B: JetStream streams and publishing.
// Compiled by the build (target naq_migration_examples) and quoted in docs/pattern_migration_guide.md.
#include <naq/async_publisher.hpp>
#include <naq/jetstream.hpp>
#include <naq/names.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace naq_migration {

// Create the stream if missing (or check it), then publish with an ack and a dedup id.
uint64_t publish_job(const naq::Config& config, const std::string& queue, std::string_view payload,
                     const std::string& job_id) {
    auto js = naq::jetstream(config);
    naq::PublishOptions options;
    options.msg_id = job_id;  // a retried submit within the duplicate window is stored once
    naq::PubAck ack = js.publish(naq::names::queue_subject(config, queue), payload, options);
    return ack.sequence;
}

// Many messages without waiting for each ack: AsyncPublisher, then collect every outcome.
std::size_t publish_batch(const naq::Config& config, const std::string& subject,
                          const std::vector<std::pair<std::string, std::string>>& id_and_payload) {
    naq::AsyncPublisher publisher(naq::connection(config), 256, config.nats.request_timeout);
    for (const auto& [id, payload] : id_and_payload) publisher.publish(subject, payload, id);
    naq::AsyncPublisher::Outcome outcome = publisher.complete(config.nats.request_timeout);
    return outcome.acked;
}

}  // namespace naq_migration
