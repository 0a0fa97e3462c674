// Publishes whose outcome someone waits for without blocking: each publish carries a callback
// that runs once, when the server has stored the message (no error) or refused it, or when no
// ack came within the timeout. The worker acks a job from this callback, so a job leaves its
// queue only once the record of how it ended is stored — pipelined, never a round trip per job.
// Private to libnaq (the worker uses it through its OutcomeRecorder).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "naq/connection.hpp"

namespace naq {

namespace detail {
struct ConfirmedPublisherState;
}

class ConfirmedPublisher {
public:
    /// `error` is empty when the server stored the message; otherwise why not.
    using Done = std::function<void(const std::string& error)>;

    /// Its own JetStream context on `conn`. At most `max_pending` publishes wait for their ack
    /// at once (publish() waits up to `ack_timeout` for room, then throws Timeout); a publish
    /// not acknowledged within `ack_timeout` is reported failed.
    ConfirmedPublisher(const Connection& conn, int64_t max_pending, Millis ack_timeout);
    /// drain(ack timeout). When cnats still holds unacknowledged messages after that (the server
    /// is gone), its state is left to process exit: a late ack must find it alive.
    ~ConfirmedPublisher();
    ConfirmedPublisher(const ConfirmedPublisher&) = delete;
    ConfirmedPublisher& operator=(const ConfirmedPublisher&) = delete;

    /// Sends `data` to `subject`; `done` runs exactly once, on cnats' thread or a caller's.
    /// Throws (and does not call `done`) when the message cannot even be sent.
    void publish(const std::string& subject, std::string_view data, Done done);

    /// Reports failed every publish older than the ack timeout; returns how many.
    std::size_t expire();
    /// expire() when a second has passed since the last one; else nothing. publish() calls it;
    /// call it from a timer too, since publishes may stop (a worker that stopped fetching
    /// because its records are not confirmed waits for exactly these).
    std::size_t sweep();

    /// Waits up to `timeout` for every pending ack, then reports the rest failed.
    void drain(Millis timeout);

    /// Publishes still waiting for their ack.
    std::size_t pending() const;

private:
    std::unique_ptr<detail::ConfirmedPublisherState> state_;
};

}  // namespace naq
