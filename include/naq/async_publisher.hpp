// Many JetStream publishes in flight at once, every outcome collected at the end (enqueue_many).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "naq/connection.hpp"

namespace naq {

namespace detail {
struct AsyncPublisherState;
}

/// Publishes many messages without waiting for each ack, then collects every outcome.
/// Owns its own JetStream context so its acks are its own. Not thread-safe; one per batch.
class AsyncPublisher {
public:
    struct Failure {
        std::string msg_id;
        std::string error;
    };
    struct Outcome {
        std::size_t acked = 0;
        std::vector<std::string> duplicates;  ///< msg ids the server had already seen
        std::vector<Failure> failures;
    };

    /// At most `max_pending` unacknowledged publishes at once (publish() blocks past that).
    AsyncPublisher(const Connection& conn, int64_t max_pending, Millis ack_timeout);
    ~AsyncPublisher();
    AsyncPublisher(const AsyncPublisher&) = delete;
    AsyncPublisher& operator=(const AsyncPublisher&) = delete;

    /// Publishes with `msg_id` as Nats-Msg-Id; the outcome is collected by complete().
    void publish(const std::string& subject, std::string_view data, const std::string& msg_id);
    /// Waits until every publish is acknowledged or failed (or `timeout`), and returns them.
    Outcome complete(Millis timeout);

private:
    std::unique_ptr<detail::AsyncPublisherState> state_;
};

}  // namespace naq
