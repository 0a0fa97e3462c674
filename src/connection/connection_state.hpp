// What the pool keeps per connection: the cnats connection, one shared JetStream context and
// the KV buckets bound on it. Private to src/connection.
#pragma once

#include <nats/nats.h>

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "naq/kv_store.hpp"

namespace naq::detail {

// What cnats callbacks may touch. cnats can run a callback after the connection is destroyed
// (closed/disconnected are posted to its own thread), so these live for the whole process.
struct CallbackContext {
    std::string description;  // servers, for log lines
    std::atomic<uint64_t> reconnects{0};
    std::atomic<uint64_t> async_failures{0};
};

/// A JetStream context of its own on `nc` whose asynchronous publishes report to
/// `on_ack(closure)`: at most `max_pending` unacknowledged, a publish waits up to
/// `ack_timeout_ms` for room (AsyncPublisher, ConfirmedPublisher).
jsCtx* new_ack_context(natsConnection* nc, int64_t max_pending, int64_t ack_timeout_ms, jsPubAckHandler on_ack,
                       void* closure);

/// A CallbackContext that stays valid until the process exits.
CallbackContext& new_callback_context(std::string description);

struct ConnectionState {
    ConnectionState() = default;
    ConnectionState(const ConnectionState&) = delete;
    ConnectionState& operator=(const ConnectionState&) = delete;
    ~ConnectionState();  // destroys buckets, context, then closes the connection

    natsConnection* nc = nullptr;
    jsCtx* js = nullptr;  // shared: JetStream API calls and the hot path's async KV writes
    int64_t request_timeout_ms = 5000;

    std::mutex buckets_mutex;
    std::map<std::string, kvStore*> buckets;  // bound once, reused by every KvStore handle

    CallbackContext* callbacks = nullptr;
};

/// The one door from a public handle to its connection's state, and the one builder of handles
/// from cnats pointers; both stay out of the public headers.
struct ConnectionAccess {
    static Connection connection(std::shared_ptr<ConnectionState> state) { return Connection(std::move(state)); }
    static const std::shared_ptr<ConnectionState>& state(const Connection& conn) { return conn.state_; }
    static KvStore kv_store(Connection conn, kvStore* kv, std::string bucket, Millis request_timeout) {
        return KvStore(std::move(conn), kv, std::move(bucket), request_timeout);
    }
};

inline const std::shared_ptr<ConnectionState>& state_of(const Connection& conn) {
    return ConnectionAccess::state(conn);
}

}  // namespace naq::detail
