// Events: every job transition and worker / scheduler happening, published to the events stream
// ("<prefix>_events") and read back with filters. docs/observability.md describes them and
// docs/wire-format.md the record.
//
//   naq::EventPublisher events{cfg};                        // async: never blocks, never throws
//   events.publish(naq::job_event(naq::EventType::enqueued, job));
//
//   naq::EventStream stream{cfg, {.queue = "emails", .since_ms = naq::now_ms() - 600'000}};
//   while (auto e = stream.next(1s)) { ... }                // replay, then follow
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "naq/config.hpp"
#include "naq/event.hpp"
#include "naq/jetstream.hpp"
#include "naq/job.hpp"
#include "naq/json.hpp"

namespace naq {

/// Creates (or checks) the events stream: limits retention, max age events.max_age, storage and
/// replicas from the config. Idempotent and cached per process and deployment.
void ensure_events_stream(const Config& config);

/// Publishes events asynchronously on the pooled connection, in order. Cheap to copy (copies
/// share the connection and, when batching, the buffer).
///
/// A batching publisher (what the worker uses) buffers events for events.batch_window and sends
/// those of one queue and type together in one message ("<prefix>.events.<queue>.<type>._batch",
/// a {"v":1,"events":[...]} record); an event with no company travels alone on its exact
/// subject. Batches are cut so that every job's events stay in order. A plain publisher sends
/// each event at once on its exact subject.
class EventPublisher {
public:
    /// Ensures the events stream. When events.enabled is false, or the stream cannot be set up
    /// (logged), every publish is a no-op: events never stop jobs. Does not throw.
    explicit EventPublisher(const Config& config = default_config(), bool batched = false);
    ~EventPublisher();

    bool enabled() const { return js_.has_value(); }

    /// Sends (or, batching, buffers) without waiting for the server. Stamps the event with this
    /// process's source id and next number (Event::source), and `at` when 0. Never throws: an
    /// event cnats refuses is dropped, counted in dropped() and logged (at most once a minute).
    void publish(Event event) const noexcept;
    /// Sends what is buffered, then `events` grouped into as few messages as order allows,
    /// from the calling thread (the producer's enqueue_many: before its jobs). Each is stamped
    /// as publish() does (taken by value: stamped in place, not copied). Never throws.
    void publish_now(std::vector<Event> events) const noexcept;
    /// Sends what is buffered now from the calling thread (before handing a job to another
    /// worker, so that its events stay in order). Never throws.
    void send_now() const noexcept;

    /// Sends what is buffered and waits up to `timeout` until every asynchronous publish on the
    /// connection is acknowledged. Returns false on timeout or error.
    bool flush(Millis timeout) const noexcept;

    /// Events this process dropped (all publishers).
    static uint64_t dropped();

private:
    struct Batcher;
    std::shared_ptr<const Config> config_;
    std::optional<JetStream> js_;
    std::shared_ptr<Batcher> batcher_;
};

/// Which events to read. Empty fields match anything.
struct EventFilter {
    std::string queue;                ///< a queue, or names::kWorkerEventsQueue / kSchedulerEventsQueue
    std::string type;                 ///< an event type name ("succeeded"); checked
    std::string job_id;               ///< a job id (or worker / schedule id)
    std::optional<int64_t> since_ms;  ///< from the first event stored at or after this time
    bool only_new = false;            ///< only events stored after the stream was opened
    /// Stop at the first message stored after this time (a finished job's last event); the
    /// stream then ends (no following).
    std::optional<int64_t> until_ms;
    /// Read at most this many stored messages (0 = all), so that a job of a busy queue costs a
    /// bounded read; the stream then ends, and truncated() says it stopped short.
    uint64_t max_messages = 0;
};

/// Reads matching events in stream order: first those already stored (replay), then new ones as
/// they arrive (follow). Queue and type are filtered by the server; job ids by the reader (batch
/// messages hold many jobs), which first narrows the read to the job's queue and enqueue time
/// when its status record says them. Undecodable messages are skipped with a warning.
class EventStream {
public:
    /// Throws InvalidArgument for an unknown type or a bad token, ConnectionError etc.
    EventStream(const Config& config, const EventFilter& filter = {});

    /// The next matching event, or nullopt when none arrives within `timeout` (or when the
    /// replay ends without a further match: check caught_up()). While replaying it reads on
    /// past `timeout` as long as stored messages remain.
    std::optional<Event> next(Millis timeout);

    /// True once every event that was stored when the stream was opened has been returned.
    bool caught_up() const { return remaining_ == 0 && ready_.empty(); }
    /// True when the replay stopped at max_messages with stored messages left unread.
    bool truncated() const { return truncated_; }

    /// The subject filter in use.
    const std::string& subject_filter() const { return filter_subject_; }

private:
    bool matches(const Event& e) const;

    EventFilter filter_;
    std::string filter_subject_;
    std::optional<StreamReader> reader_;
    uint64_t remaining_ = 0;  // stored messages not yet read
    uint64_t read_ = 0;       // stored messages read
    bool truncated_ = false;
    bool ended_ = false;       // until_ms or max_messages reached
    bool literal_id_ = false;  // the job id appears verbatim in a message that holds its events
    std::deque<Event> ready_;  // matching events of messages already read
};

/// Every matching event stored now, in order (EventStream until caught up). `truncated`, when
/// given, says whether filter.max_messages cut the read short.
std::vector<Event> read_events(const Config& config, const EventFilter& filter = {}, bool* truncated = nullptr);

}  // namespace naq
