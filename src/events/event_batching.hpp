// Grouping events into messages (private to src/events; unit-tested). Events of one
// (queue, type) published close together travel in one message; a group of one travels alone
// on its exact subject. Every job's (id's) events stay in publish order; events of different
// jobs within one slice may be reordered (their "at" times tell when they happened).
#pragma once

#include <string>
#include <vector>

#include "naq/config.hpp"
#include "naq/events.hpp"

namespace naq::detail {

/// One event ready to send: its subject tokens and its encoded record.
struct Item {
    std::string queue;  ///< subject token: the queue, "_worker" or "_scheduler"
    std::string type;   ///< event type name
    std::string id;     ///< subject token: job, worker or schedule id
    std::string json;   ///< encode_event()
};

Item make_item(const Event& event);

/// One NATS message: a single event on "<prefix>.events.<queue>.<type>.<id>", or several of one
/// queue and type as {"v":1,"events":[...]} on "<prefix>.events.<queue>.<type>._batch".
struct Outgoing {
    std::string subject;
    std::string payload;
    std::size_t events = 0;
};

/// Messages for `items` (in publish order), each with at most `max_events` events and about
/// `max_bytes` of payload. For every id, its events appear in the messages in the order given.
std::vector<Outgoing> group(const Config& config, const std::vector<Item>& items, std::size_t max_events = 1000,
                            std::size_t max_bytes = 512 * 1024);

}  // namespace naq::detail
