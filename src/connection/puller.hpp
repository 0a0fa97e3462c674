// Pulling messages from a JetStream consumer, without natsSubscription_Fetch. Private to
// src/connection.
//
// Why not cnats: in cnats 3.4.1, natsSubscription_Fetch (src/js.c, _fetch) first takes messages
// already queued on the subscription, then lowers the request's batch by that count and loops
// until the count *equals* the lowered batch. When more than half a batch was queued (late
// deliveries for earlier pull requests: the flood after a network stall, or after a reconnect
// sends the requests buffered while disconnected), the count is already past it, never equals
// it, and every further message is written past the end of the batch-sized array: heap
// corruption (issue 19). Here a plain subscription on an inbox of our own receives the
// deliveries and a std::vector holds them, so no count can run past anything.
#pragma once

#include <nats/nats.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "naq/jetstream.hpp"

namespace naq::detail {

struct ConnectionState;

class Puller {
public:
    /// Subscribes an inbox of its own for the deliveries of `consumer` on `stream`. An
    /// `ephemeral` consumer is deleted when the Puller goes (without waiting for the answer).
    Puller(std::shared_ptr<ConnectionState> conn, const std::string& stream, const std::string& consumer,
           bool ephemeral = false);
    ~Puller();
    Puller(const Puller&) = delete;
    Puller& operator=(const Puller&) = delete;

    /// Up to `batch` messages: first those earlier requests delivered late, then what is stored
    /// now (a no_wait request); when nothing is, it waits up to `timeout` for one message and
    /// returns it with whatever came along. Empty on timeout; throws naq::Error when the server
    /// ends the request with an error and no message came ("Leadership Change", "Server
    /// Shutdown", …).
    std::vector<Message> fetch(int batch, Millis timeout);

private:
    using Clock = std::chrono::steady_clock;
    /// Sends one pull request for what `out` lacks of `up_to` and collects its deliveries until
    /// the request is over, `out` holds `up_to`, or `deadline`.
    void pull(std::vector<Message>& out, int up_to, bool no_wait, Clock::time_point deadline, std::string& error);
    /// Takes one delivery, waiting at most `wait`. False when none came or it ended a request
    /// (`error` set when it was an error).
    bool take(std::vector<Message>& out, Millis wait, std::string& error);

    std::shared_ptr<ConnectionState> conn_;
    std::string delete_subject_;  // set for an ephemeral consumer
    std::string inbox_;
    std::string next_subject_;  // $JS.API.CONSUMER.MSG.NEXT.<stream>.<consumer>
    std::unique_ptr<natsSubscription, SubscriptionDeleter> sub_;
};

/// An ephemeral pull consumer made from `config` on `stream` (give it an InactiveThreshold: the
/// server's cleanup should the process vanish), with a Puller on it and the number of matching
/// messages stored when it was made.
struct EphemeralPull {
    std::unique_ptr<Puller> puller;
    uint64_t pending = 0;
};
EphemeralPull pull_ephemeral(const std::shared_ptr<ConnectionState>& conn, const std::string& stream,
                             jsConsumerConfig& config, const std::string& what);

}  // namespace naq::detail
