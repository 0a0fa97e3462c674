// Scoped NATS handles: the only way naq code reaches NATS.
//
//   auto conn = naq::connection(config);                        // naq/connection.hpp
//   auto js = naq::jetstream(config);                           // naq/jetstream.hpp
//   auto kv = naq::kv_store(naq::Bucket::job_status, config);   // naq/kv_store.hpp
//
// Handles are cheap to acquire (the connection underneath is pooled: one per process per
// distinct server list + credentials) and release on scope exit. The pool closes the
// connections when the process ends or close_all_connections() is called. Every cnats
// failure surfaces as a naq::Error subclass (see errors.hpp). Handles are built only by these
// functions: no constructor takes a cnats pointer.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "naq/config.hpp"
#include "naq/errors.hpp"

// cnats types, forward-declared so users of this header need not include nats.h.
typedef struct __natsConnection natsConnection;
typedef struct __natsMsg natsMsg;
typedef struct __natsSubscription natsSubscription;
typedef struct __jsCtx jsCtx;
typedef struct __kvStore kvStore;
typedef struct __kvWatcher kvWatcher;

namespace naq {

namespace detail {
struct ConnectionState;
struct ConnectionAccess;
struct SubscriptionDeleter {
    void operator()(natsSubscription* sub) const noexcept;
};
}  // namespace detail

/// A core NATS subscription delivering to a callback on cnats' thread. Unsubscribes on scope exit.
class Subscription {
public:
    using Handler = std::function<void(std::string_view subject, std::string_view data)>;

private:
    friend class Connection;
    Subscription(natsSubscription* sub, std::unique_ptr<Handler> handler, std::shared_ptr<detail::ConnectionState> conn)
        : handler_(std::move(handler)), sub_(sub), conn_(std::move(conn)) {}

    std::unique_ptr<Handler> handler_;  // before sub_: destroyed after the subscription
    std::unique_ptr<natsSubscription, detail::SubscriptionDeleter> sub_;
    std::shared_ptr<detail::ConnectionState> conn_;
};

/// A pooled NATS connection. Copies share the connection.
class Connection {
public:
    /// Core NATS publish (no JetStream ack). Wraps natsConnection_Publish.
    void publish(const std::string& subject, std::string_view data) const;
    /// Core NATS request/reply. Wraps natsConnection_Request.
    std::string request(const std::string& subject, std::string_view data, Millis timeout) const;
    /// Subscribes `handler` to `subject` (wildcards allowed).
    Subscription subscribe(const std::string& subject, Subscription::Handler handler) const;
    /// Waits until the server has processed everything sent so far.
    void flush(Millis timeout) const;

    bool connected() const;
    /// Closed for good: cnats gave up reconnecting (nats.max_reconnect_attempts) or it was closed.
    bool closed() const;
    /// The server's id for this connection (changes when the client reconnects elsewhere).
    std::string server_id() const;
    /// How many times the connection has reconnected since it was opened.
    uint64_t reconnects() const;
    /// The largest message the server accepts (its max_payload), in bytes.
    int64_t max_payload() const;

    natsConnection* native_handle() const;

private:
    friend struct detail::ConnectionAccess;  // the other handles reach the shared state through it
    explicit Connection(std::shared_ptr<detail::ConnectionState> state) : state_(std::move(state)) {}

    std::shared_ptr<detail::ConnectionState> state_;
};

/// Acquires the pooled connection for `config` (connecting on first use).
/// Throws ConnectionError when no server answers within nats.connect_timeout.
Connection connection(const Config& config = default_config());

/// Closes every pooled connection now (they reopen on next use). Called at process exit too.
void close_all_connections();

/// How many distinct connections the pool holds (for tests and `naq config show`).
std::size_t pooled_connection_count();

/// Called on a cnats thread whenever the server refuses a publish or subscription for lack of
/// permission, with the server's words (`Permissions Violation for Publish to "…"`). The server
/// does not answer a refused request, which otherwise only ends at nats.request_timeout: a
/// one-shot program can stop at once (the naq CLI does). An empty handler removes it; the
/// violation is logged either way.
void on_permission_violation(std::function<void(const std::string& server_text)> handler);

}  // namespace naq
