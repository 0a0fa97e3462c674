// The event record: what happened to a job, a worker or a schedule, as published to the events
// stream (events.hpp publishes and reads them). docs/wire-format.md describes the JSON form.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "naq/config.hpp"
#include "naq/job.hpp"
#include "naq/json.hpp"

namespace naq {

/// What happened; the `type` of an event record and a token of its subject.
enum class EventType {
    // job transitions
    enqueued,
    started,
    succeeded,
    failed,  ///< one attempt failed; a retry_scheduled or dead_lettered follows
    retry_scheduled,
    dead_lettered,
    cancelled,
    progress,  ///< a running job's progress report (data: fraction, message, at)
    /// A unique job not enqueued because job_id (the job holding its key) is queued or running
    /// (data: key, until)
    deduplicated,
    /// Every job of a batch is final; its callback job (job_id) is enqueued (data: batch,
    /// total, succeeded, dead, cancelled, skipped)
    batch_completed,
    // scheduler
    schedule_fired,
    schedule_paused,
    schedule_resumed,
    // worker
    worker_started,
    worker_stopped,
    // queue control (Queue::pause / resume / set_limits): queue set, no job id
    queue_paused,
    queue_resumed,
    /// data: rate_max, rate_period_ms, concurrency (0 = none), by
    queue_limits_changed,
};

/// "enqueued", "retry_scheduled", ...
const char* to_string(EventType type);
/// Throws InvalidArgument naming the known types when `name` is none of them.
EventType event_type_from_string(std::string_view name);
/// Every event type, in declaration order.
const std::vector<EventType>& all_event_types();

/// One event. The wire form is {"v":1,"type":...,"job_id":...,"at":...} (docs/wire-format.md).
struct Event {
    EventType type = EventType::enqueued;
    std::string job_id;  ///< job events
    std::string queue;   ///< job events; the target queue of schedule events
    std::string task;
    std::string worker;                  ///< the worker that ran the attempt / the worker of worker events
    std::string schedule_id;             ///< schedule events
    int attempt = 0;                     ///< 1-based; 0 when not about an attempt
    int64_t at_ms = 0;                   ///< Unix milliseconds; publish() fills 0 with now
    std::string error;                   ///< failed, dead_lettered, cancelled
    std::optional<int64_t> duration_ms;  ///< succeeded, failed: how long the attempt ran
    std::optional<int64_t> delay_ms;     ///< retry_scheduled: wait before the next attempt;
                                         ///< schedule_fired: lateness of the firing
    Json data;                           ///< anything else (an object), omitted when null
    /// The process that published it ("<host>-<pid>-<hex>") and its count of events so far
    /// (1, 2, 3, ...): EventPublisher sets both. A number missing from what a reader sees is an
    /// event that was lost (count_event_gaps).
    std::string source;
    uint64_t source_seq = 0;

    uint64_t sequence = 0;  ///< when read back: the stream sequence (not part of the record)
};

/// What a set of events read back says about the ones that are missing. Events are best effort
/// (docs/observability.md): each publisher numbers its events, and a number between the first
/// and the last seen of a publisher that is not there was lost. Losses after a publisher's last
/// event that was kept cannot be seen.
struct EventGaps {
    uint64_t events = 0;   ///< events counted
    uint64_t sources = 0;  ///< publishers among them (events without a number are not counted)
    uint64_t missing = 0;  ///< numbers skipped within each publisher's first..last
};

/// Counts the gaps of `events`: meaningful for an unfiltered read (a filter by queue, type or
/// job skips the numbers of the events it leaves out).
EventGaps count_event_gaps(const std::vector<Event>& events);

/// An event about `job` (queue, task, id filled in; at = now).
Event job_event(EventType type, const Job& job, int attempt = 0);
/// An event about the job of `record` (queue, task, id, attempt, worker filled in; at = now).
Event job_event(EventType type, const JobStatus& record);

/// The record as JSON text / object, and back. decode_event throws SerializationError.
std::string encode_event(const Event& event);
Json event_to_json(const Event& event);
Event decode_event(std::string_view text);

/// Several encoded events of one queue and type as one message: {"v":1,"events":[...]}.
/// `bytes`: their total size (a reservation hint).
std::string encode_event_batch(const std::vector<std::string_view>& encoded_events, std::size_t bytes = 0);
/// The events of one message of the events stream: a single event record or an event batch.
/// Throws SerializationError when any of them cannot be read.
std::vector<Event> decode_event_message(std::string_view payload);

/// The subject an event is published on: "<prefix>.events.<queue>.<type>.<job id>" for job
/// events, "<prefix>.events._worker.<type>.<worker>" and "<prefix>.events._scheduler.<type>.<schedule id>".
std::string event_subject_for(const Config& config, const Event& event);

}  // namespace naq
