// JetStream on a pooled connection: streams, consumers, publishing, reading (see connection.hpp
// for how handles are acquired).
//
//   auto js = naq::jetstream(config);
//   js.publish("naq.queue.default", data, {.msg_id = id});
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "naq/connection.hpp"

namespace naq {

namespace detail {
class Puller;
struct MsgDeleter {
    void operator()(natsMsg* msg) const noexcept;
};
}  // namespace detail

/// A JetStream message received from a pull subscription. Owns the cnats message.
/// Acknowledgement methods are plain (fire-and-forget) acks: no server round trip; they are
/// published to the message's reply subject, what natsMsg_Ack does.
class Message {
public:
    std::string_view subject() const;
    std::string_view data() const;
    /// A header value, or nullopt when absent.
    std::optional<std::string> header(const char* name) const;
    /// How many times the server has delivered this message (1 on first delivery).
    uint64_t num_delivered() const;
    /// Stream sequence number.
    uint64_t stream_sequence() const;
    /// When the stream stored it (Unix milliseconds).
    int64_t stored_at_ms() const;

    void ack();              ///< "+ACK": done.
    void nak();              ///< "-NAK": redeliver now.
    void nak(Millis delay);  ///< "-NAK" with a delay: redeliver after it.
    void in_progress();      ///< "+WPI": extends the ack wait.
    void term();             ///< "+TERM": never redeliver.

    natsMsg* native_handle() const noexcept { return msg_.get(); }

private:
    friend class detail::Puller;
    Message(natsMsg* msg, std::shared_ptr<detail::ConnectionState> conn) noexcept : msg_(msg), conn_(std::move(conn)) {}
    void reply(const char* body, const char* what);

    std::unique_ptr<natsMsg, detail::MsgDeleter> msg_;
    std::shared_ptr<detail::ConnectionState> conn_;  // the acks go out on it
};

/// A pull subscription bound to a durable consumer. One per fetching thread.
class PullSubscription {
public:
    PullSubscription(PullSubscription&&) noexcept;
    PullSubscription& operator=(PullSubscription&&) noexcept;
    ~PullSubscription();

    /// Up to `batch` messages, waiting at most `timeout` for the first. Empty on timeout.
    std::vector<Message> fetch(int batch, Millis timeout);

private:
    friend class JetStream;
    explicit PullSubscription(std::unique_ptr<detail::Puller> puller);

    std::unique_ptr<detail::Puller> puller_;
};

/// Stream retention: limits keeps messages until a limit; work_queue drops a message once acked.
enum class Retention { limits, work_queue, interest };

/// What a stream should look like; ensure_stream() creates it or checks an existing one.
struct StreamSpec {
    std::string name;
    std::vector<std::string> subjects;
    Retention retention = Retention::limits;
    Millis max_age{0};           ///< 0 = keep forever
    int64_t max_msgs = -1;       ///< -1 = unlimited
    int64_t max_bytes = -1;      ///< -1 = unlimited
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
    uint64_t pending = 0;     ///< not yet delivered
    int64_t ack_pending = 0;  ///< delivered, not yet acknowledged (in flight)
    int64_t redelivered = 0;
    int64_t waiting = 0;  ///< pull requests waiting
};

/// What a pull consumer should look like.
struct ConsumerSpec {
    std::string stream;
    std::string durable;
    std::string filter_subject;
    Millis ack_wait{30'000};
    int64_t max_ack_pending = 1000;
    int64_t max_deliver = -1;   ///< -1 = unlimited (naq counts attempts itself)
    int max_request_batch = 0;  ///< 0 = no limit
};

/// Publish acknowledgement.
struct PubAck {
    uint64_t sequence = 0;
    bool duplicate = false;  ///< the Nats-Msg-Id was seen within the dedup window
};

/// Headers and expectations of one JetStream publish.
struct PublishOptions {
    std::string msg_id;  ///< Nats-Msg-Id for deduplication; empty = none
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
    std::string filter;           ///< subject filter, wildcards allowed; empty = every subject
    int64_t start_time_ms = 0;    ///< > 0: from the first message stored at or after this time
    uint64_t start_sequence = 0;  ///< > 0 (and no start time): from this sequence
    bool only_new = false;        ///< only messages stored after the reader was created
};

/// Reads a stream in order through an ephemeral pull consumer without acks: first what is
/// stored (replay), then what arrives (follow). The server drops the consumer when the reader
/// goes away. Not thread-safe.
class StreamReader {
public:
    /// The next message, or nullopt when none arrives within `timeout`.
    std::optional<StreamMessage> next(Millis timeout);
    /// Matching messages that were stored when the reader was created.
    uint64_t initial_pending() const { return initial_pending_; }

    StreamReader(StreamReader&&) noexcept;
    StreamReader& operator=(StreamReader&&) noexcept;
    ~StreamReader();

private:
    friend class JetStream;
    StreamReader(PullSubscription sub, uint64_t initial_pending);
    void drop_older_than(int64_t time_ms);

    PullSubscription sub_;
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
    PubAck publish(const std::string& subject, std::string_view data, const PublishOptions& options = {}) const;

    /// Creates the stream if missing; if present, adds missing subjects and raises ConflictError
    /// when retention differs. Returns its state.
    StreamState ensure_stream(const StreamSpec& spec) const;
    StreamState stream_state(const std::string& stream) const;
    /// Message count per subject matching `filter` (e.g. "naq.queue.*").
    std::map<std::string, uint64_t> subject_counts(const std::string& stream, const std::string& filter) const;
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

JetStream jetstream(const Config& config = default_config());

}  // namespace naq
