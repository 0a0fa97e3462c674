// Scoped NATS handles: the only way naq code reaches NATS.
//
//   auto kv = naq::kv_store(naq::Bucket::results, config);   // Python: nats_kv_store(...)
//   auto js = naq::jetstream(config);                          // Python: nats_jetstream(...)
//
// Handles are cheap to acquire (the connection underneath is pooled: one per process per
// distinct server list + credentials) and release on scope exit. The pool closes the
// connections when the process ends or close_all_connections() is called. Every cnats
// failure surfaces as a naq::Error subclass (see errors.hpp).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

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
struct MsgDeleter {
    void operator()(natsMsg* msg) const noexcept;
};
struct SubscriptionDeleter {
    void operator()(natsSubscription* sub) const noexcept;
};
struct WatcherDeleter {
    void operator()(kvWatcher* w) const noexcept;
};
}  // namespace detail

/// The naq KV buckets; names are "<prefix>_<bucket>" (see names.hpp).
enum class Bucket { results, job_status, workers, scheduled_jobs, scheduler_lock, cancellations };

/// A JetStream message received from a pull subscription. Owns the cnats message.
/// Acknowledgement methods are plain (fire-and-forget) acks: no server round trip.
class Message {
public:
    explicit Message(natsMsg* msg) noexcept : msg_(msg) {}

    std::string_view subject() const;
    std::string_view data() const;
    /// A header value, or nullopt when absent.
    std::optional<std::string> header(const char* name) const;
    /// How many times the server has delivered this message (1 on first delivery).
    uint64_t num_delivered() const;
    /// Stream sequence number.
    uint64_t stream_sequence() const;

    void ack();                       ///< Wraps natsMsg_Ack.
    void nak();                       ///< Wraps natsMsg_Nak: redeliver now.
    void nak(Millis delay);           ///< Wraps natsMsg_NakWithDelay.
    void in_progress();               ///< Wraps natsMsg_InProgress: extends the ack wait.
    void term();                      ///< Wraps natsMsg_Term: never redeliver.

    natsMsg* native_handle() const noexcept { return msg_.get(); }

private:
    std::unique_ptr<natsMsg, detail::MsgDeleter> msg_;
};

/// A pull subscription bound to a durable consumer. One per fetching thread: cnats does not
/// allow concurrent fetches on one subscription.
class PullSubscription {
public:
    explicit PullSubscription(natsSubscription* sub, std::shared_ptr<detail::ConnectionState> conn)
        : sub_(sub), conn_(std::move(conn)) {}

    /// Up to `batch` messages, waiting at most `timeout` for the first. Empty on timeout.
    std::vector<Message> fetch(int batch, Millis timeout);

private:
    std::unique_ptr<natsSubscription, detail::SubscriptionDeleter> sub_;
    std::shared_ptr<detail::ConnectionState> conn_;
};

/// A core NATS subscription delivering to a callback on cnats' thread. Unsubscribes on scope exit.
class Subscription {
public:
    using Handler = std::function<void(std::string_view subject, std::string_view data)>;
    Subscription(natsSubscription* sub, std::unique_ptr<Handler> handler,
                 std::shared_ptr<detail::ConnectionState> conn)
        : handler_(std::move(handler)), sub_(sub), conn_(std::move(conn)) {}

private:
    std::unique_ptr<Handler> handler_;  // before sub_: destroyed after the subscription
    std::unique_ptr<natsSubscription, detail::SubscriptionDeleter> sub_;
    std::shared_ptr<detail::ConnectionState> conn_;
};

/// A pooled NATS connection. Copies share the connection.
class Connection {
public:
    explicit Connection(std::shared_ptr<detail::ConnectionState> state) : state_(std::move(state)) {}

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
    const std::shared_ptr<detail::ConnectionState>& state() const { return state_; }

private:
    std::shared_ptr<detail::ConnectionState> state_;
};

/// Stream retention: limits keeps messages until a limit; work_queue drops a message once acked.
enum class Retention { limits, work_queue, interest };

/// What a stream should look like; ensure_stream() creates it or checks an existing one.
struct StreamSpec {
    std::string name;
    std::vector<std::string> subjects;
    Retention retention = Retention::limits;
    Millis max_age{0};        ///< 0 = keep forever
    int64_t max_msgs = -1;    ///< -1 = unlimited
    int64_t max_bytes = -1;   ///< -1 = unlimited
    Millis duplicate_window{0};  ///< 0 = server default (2 min)
    StorageType storage = StorageType::file;
    int replicas = 1;
    bool discard_new = false;  ///< when full, refuse new messages instead of dropping old ones
    std::string description;
};

/// A stream's size and sequence range (stream info).
struct StreamState {
    uint64_t messages = 0;
    uint64_t bytes = 0;
    uint64_t first_sequence = 0;
    uint64_t last_sequence = 0;
    int64_t consumers = 0;
};

/// A durable consumer's delivery counts (consumer info).
struct ConsumerState {
    uint64_t pending = 0;        ///< not yet delivered
    int64_t ack_pending = 0;     ///< delivered, not yet acknowledged (in flight)
    int64_t redelivered = 0;
    int64_t waiting = 0;         ///< pull requests waiting
};

/// What a pull consumer should look like.
struct ConsumerSpec {
    std::string stream;
    std::string durable;
    std::string filter_subject;
    Millis ack_wait{30'000};
    int64_t max_ack_pending = 1000;
    int64_t max_deliver = -1;    ///< -1 = unlimited (naq counts attempts itself)
    int max_request_batch = 0;   ///< 0 = no limit
};

/// Publish acknowledgement.
struct PubAck {
    uint64_t sequence = 0;
    bool duplicate = false;  ///< the Nats-Msg-Id was seen within the dedup window
};

/// Headers and expectations of one JetStream publish.
struct PublishOptions {
    std::string msg_id;            ///< Nats-Msg-Id for deduplication; empty = none
    std::map<std::string, std::string> headers;
    std::optional<uint64_t> expect_last_subject_sequence;
};

/// One message read by a StreamReader.
struct StreamMessage {
    std::string subject;
    std::string data;
    uint64_t sequence = 0;  ///< stream sequence
    int64_t time_ms = 0;    ///< when the stream stored it (Unix milliseconds)
    uint64_t pending = 0;   ///< matching messages stored after this one, as of its delivery
};

/// What a StreamReader reads and where it starts.
struct ReadSpec {
    std::string stream;
    std::string filter;          ///< subject filter, wildcards allowed; empty = every subject
    int64_t start_time_ms = 0;   ///< > 0: from the first message stored at or after this time
    uint64_t start_sequence = 0; ///< > 0 (and no start time): from this sequence
    bool only_new = false;       ///< only messages stored after the reader was created
};

/// Reads a stream in order through an ephemeral pull consumer without acks: first what is
/// stored (replay), then what arrives (follow). The server drops the consumer when the reader
/// goes away. Not thread-safe.
class StreamReader {
public:
    StreamReader(natsSubscription* sub, std::shared_ptr<detail::ConnectionState> conn, uint64_t initial_pending)
        : sub_(sub), conn_(std::move(conn)), initial_pending_(initial_pending), pending_(initial_pending) {}

    /// The next message, or nullopt when none arrives within `timeout`.
    std::optional<StreamMessage> next(Millis timeout);
    /// Matching messages that were stored when the reader was created.
    uint64_t initial_pending() const { return initial_pending_; }

private:
    friend class JetStream;
    void drop_older_than(int64_t time_ms);

    std::unique_ptr<natsSubscription, detail::SubscriptionDeleter> sub_;
    std::shared_ptr<detail::ConnectionState> conn_;
    uint64_t initial_pending_ = 0;
    uint64_t pending_ = 0;
    std::deque<Message> buffer_;
    std::optional<StreamMessage> first_;  // read ahead by drop_older_than
};

/// JetStream operations on a pooled connection.
class JetStream {
public:
    /// Uses the connection's shared JetStream context (see jetstream()).
    explicit JetStream(Connection conn);

    /// Synchronous publish: returns once the stream has stored the message.
    PubAck publish(const std::string& subject, std::string_view data,
                   const PublishOptions& options = {}) const;

    /// Creates the stream if missing; if present, adds missing subjects and raises ConflictError
    /// when retention differs. Returns its state.
    StreamState ensure_stream(const StreamSpec& spec) const;
    StreamState stream_state(const std::string& stream) const;
    /// Message count per subject matching `filter` (e.g. "naq.queue.*").
    std::map<std::string, uint64_t> subject_counts(const std::string& stream,
                                                   const std::string& filter) const;
    /// Purges all messages, or only those on `subject` when given. Returns how many were removed.
    uint64_t purge(const std::string& stream, const std::string& subject = {}) const;
    void delete_stream(const std::string& stream) const;

    /// Gets one stored message by sequence. Throws NotFound.
    std::string get_message(const std::string& stream, uint64_t sequence) const;
    void delete_message(const std::string& stream, uint64_t sequence) const;

    /// Reads every stored message on `filter` (wildcards allowed) in stream order, through an
    /// ephemeral consumer; `visit(sequence, data)` returns false to stop early.
    void scan(const std::string& stream, const std::string& filter,
              const std::function<bool(uint64_t sequence, std::string_view data)>& visit) const;

    /// Publishes without waiting for the stream's ack, on the connection's shared JetStream
    /// context (the one KvStore::put_async uses), so one process's messages keep their order.
    /// Failures are logged and counted (KvStore::async_failures). Throws only when cnats refuses
    /// the message at once (connection closed, too many unacknowledged publishes).
    void publish_async(const std::string& subject, std::string_view data) const;
    /// Waits until every asynchronous publish on the shared context is acknowledged (or `timeout`).
    void flush_async(Millis timeout) const;

    /// Reads `spec.stream` in order from the given start (see StreamReader).
    StreamReader read(const ReadSpec& spec) const;

    /// Creates or updates a durable pull consumer.
    void ensure_consumer(const ConsumerSpec& spec) const;
    ConsumerState consumer_state(const std::string& stream, const std::string& durable) const;
    std::vector<std::string> consumer_names(const std::string& stream) const;

    /// Binds a new pull subscription to an existing durable consumer.
    PullSubscription pull_subscribe(const std::string& stream, const std::string& durable) const;

    const Connection& connection() const { return conn_; }
    jsCtx* native_handle() const;

private:
    Connection conn_;
};

/// What a KvEntry from a watcher means; caught_up marks the end of the initial values.
enum class KvOp { put, erase, purge, caught_up };

/// One KV value (or, from a watcher, a change).
struct KvEntry {
    std::string key;
    std::string value;
    uint64_t revision = 0;
    std::chrono::system_clock::time_point created{};
    KvOp op = KvOp::put;
};

/// Streams changes of matching keys. First the current values, then a KvOp::caught_up marker,
/// then live changes. Stops on scope exit.
class KvWatcher {
public:
    explicit KvWatcher(kvWatcher* w, std::shared_ptr<detail::ConnectionState> conn)
        : w_(w), stopped_(std::make_unique<std::atomic<bool>>(false)), conn_(std::move(conn)) {}
    /// The next entry, or nullopt when nothing arrives within `timeout`.
    /// Throws Cancelled once stop() was called.
    std::optional<KvEntry> next(Millis timeout);
    /// Makes a blocked next() return (throwing Cancelled); safe from another thread.
    void stop();

private:
    std::unique_ptr<kvWatcher, detail::WatcherDeleter> w_;
    std::unique_ptr<std::atomic<bool>> stopped_;
    std::shared_ptr<detail::ConnectionState> conn_;
};

/// What a bucket should look like; kv_store() creates it or checks an existing one.
struct BucketSpec {
    std::string name;
    Millis ttl{0};     ///< 0 = values never expire
    int history = 1;
    StorageType storage = StorageType::file;
    int replicas = 1;
    std::string description;
};

/// A KV bucket bound on a pooled connection. Copies share the binding.
class KvStore {
public:
    /// Built by kv_store() / kv_store_reader(); `kv` is owned by the connection pool.
    KvStore(Connection conn, kvStore* kv, std::string bucket, Millis request_timeout);

    /// The current value. Throws NotFound when the key is missing or deleted.
    KvEntry get(const std::string& key) const;
    std::optional<KvEntry> try_get(const std::string& key) const;
    /// True when the key's latest entry is a delete or purge marker (try_get() answers nullopt
    /// both for such keys and for keys that never existed).
    bool erased(const std::string& key) const;
    /// Stores and returns the new revision. Wraps kvStore_Put.
    uint64_t put(const std::string& key, std::string_view value) const;
    /// Stores without waiting for the server's ack (a JetStream async publish to $KV.<bucket>.<key>).
    /// Errors are logged and counted in async_failures(). For the job hot path.
    void put_async(const std::string& key, std::string_view value) const;
    /// Waits until every put_async so far is acknowledged (or `timeout`).
    void flush_async(Millis timeout) const;
    /// Sends the put as a plain publish to $KV.<bucket>.<key>: no ack is requested or tracked,
    /// so a write the server refuses (storage full, bucket deleted) goes unreported. Order with
    /// everything else sent on this connection is kept. For best-effort records on the hot path
    /// (job status and results next to a job ack that does not wait either): about a third
    /// cheaper per job than put_async, whose per-write ack bookkeeping dominates in cnats.
    void put_nowait(const std::string& key, std::string_view value) const;
    /// As put_nowait, but the server stores it only when the key has no entry yet (a record
    /// that exists, whatever its state, is kept).
    void create_nowait(const std::string& key, std::string_view value) const;
    /// Stores only if the key does not exist; else throws Conflict.
    uint64_t create(const std::string& key, std::string_view value) const;
    /// Stores only if the key's last revision is `last_revision`; else throws Conflict.
    uint64_t update(const std::string& key, std::string_view value, uint64_t last_revision) const;
    /// Marks the key deleted (history kept). Wraps kvStore_Delete.
    void erase(const std::string& key) const;
    /// Removes the key and its history. Wraps kvStore_Purge.
    void purge(const std::string& key) const;
    /// Every live key. Empty when the bucket is empty.
    std::vector<std::string> keys() const;
    /// Watches `pattern` ("*", "job.*", an exact key).
    KvWatcher watch(const std::string& pattern, bool include_history = false) const;

    const std::string& bucket() const { return bucket_; }
    uint64_t async_failures() const;
    kvStore* native_handle() const { return kv_; }

private:
    Connection conn_;
    kvStore* kv_;  // owned by the pool; lives as long as the connection
    std::string bucket_;
    Millis request_timeout_;
};

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

    struct State;  ///< internal; public so cnats' ack callback can reach it

private:
    std::unique_ptr<State> state_;
};

/// Acquires the pooled connection for `config` (connecting on first use).
/// Throws ConnectionError when no server answers within nats.connect_timeout.
Connection connection(const Config& config = default_config());
JetStream jetstream(const Config& config = default_config());
/// Binds a naq bucket, creating it with the config's TTL, replicas and storage if missing.
KvStore kv_store(Bucket bucket, const Config& config = default_config());
/// Binds a naq bucket to read it: creates it like kv_store() when missing, but never changes an
/// existing bucket's TTL or history (a command line with another config must not reset what the
/// workers set, e.g. the workers bucket's worker.worker_ttl).
KvStore kv_store_reader(Bucket bucket, const Config& config = default_config());
/// Binds any bucket, creating it from `spec` if missing.
KvStore kv_store(const BucketSpec& spec, const Config& config = default_config());

/// Closes every pooled connection now (they reopen on next use). Called at process exit too.
void close_all_connections();

/// How many distinct connections the pool holds (for tests and `naq config show`).
std::size_t pooled_connection_count();

}  // namespace naq
