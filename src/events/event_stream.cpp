// EventStream: replay and follow the events stream with filters.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>

#include "event_batching.hpp"
#include "naq/codec.hpp"
#include "naq/errors.hpp"
#include "naq/events.hpp"
#include "naq/names.hpp"
#include "results/job_records.hpp"

namespace naq {

namespace {

// A job's events all come after it was enqueued; allow for the producer's clock being ahead of
// the server's (hosts kept in time by NTP differ by milliseconds). Every second of slack is a
// second of a busy queue's events read first.
constexpr int64_t kClockSlackMs = 5'000;

}  // namespace

EventStream::EventStream(const Config& config, const EventFilter& filter) : filter_(filter) {
    if (!filter_.queue.empty()) names::check_token(filter_.queue, "queue");
    if (!filter_.type.empty()) event_type_from_string(filter_.type);  // throws for unknown types
    if (!filter_.job_id.empty() && filter_.queue.empty()) {
        // Narrow a job's read to its queue and enqueue time when its status record knows them.
        try {
            if (auto found = detail::JobRecords(config).find(filter_.job_id)) {
                const JobStatus& s = found->status;
                if (names::valid_token(s.queue)) filter_.queue = s.queue;
                if (!filter_.since_ms && !filter_.only_new && s.enqueued_at_ms > 0) {
                    filter_.since_ms = s.enqueued_at_ms - kClockSlackMs;
                }
            }
        } catch (const Error&) {
            // No status (expired, or a worker / schedule id): read every queue.
        }
    }
    // Ids of these characters appear verbatim in every record that names them (JSON escapes none
    // of them, and no other id has them as its token).
    literal_id_ = !filter_.job_id.empty() && std::all_of(filter_.job_id.begin(), filter_.job_id.end(), [](char ch) {
        return std::isalnum(static_cast<unsigned char>(ch)) != 0 || ch == '-';
    });
    // The id token is not part of the server's filter: batches carry many ids.
    filter_subject_ = names::events_filter(config, filter_.queue, filter_.type, "");
    ensure_events_stream(config);
    ReadSpec spec;
    spec.stream = names::events_stream(config);
    spec.filter = filter_subject_;
    if (filter_.since_ms && *filter_.since_ms > 0) spec.start_time_ms = *filter_.since_ms;
    spec.only_new = filter_.only_new;
    reader_.emplace(jetstream(config).read(spec));
    remaining_ = reader_->initial_pending();
}

bool EventStream::matches(const Event& e) const {
    if (!filter_.type.empty() && filter_.type != to_string(e.type)) return false;
    if (!filter_.job_id.empty()) {
        const std::string& id = !e.job_id.empty() ? e.job_id : !e.schedule_id.empty() ? e.schedule_id : e.worker;
        if (id != filter_.job_id && names::to_token(id) != filter_.job_id) return false;
    }
    return true;
}

std::optional<Event> EventStream::next(Millis timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (ready_.empty()) {
        if (ended_) return std::nullopt;
        const bool replaying = remaining_ > 0;
        auto left = std::chrono::duration_cast<Millis>(deadline - std::chrono::steady_clock::now());
        // While replaying, messages are there: keep reading past the caller's timeout.
        if (left.count() <= 0 && remaining_ == 0) return std::nullopt;
        auto m = reader_->next(std::max(left, Millis(remaining_ > 0 ? 1000 : 1)));
        if (!m) {
            if (remaining_ > 0) remaining_ = 0;  // the rest expired (max age) while we read
            return std::nullopt;
        }
        if (remaining_ > 0) {
            --remaining_;
            ++read_;
            const bool past_until = filter_.until_ms && m->time_ms > *filter_.until_ms;
            const bool at_cap = filter_.max_messages > 0 && read_ > filter_.max_messages;
            if (past_until || at_cap) {
                truncated_ = at_cap && !past_until;
                remaining_ = 0;
                ended_ = true;  // a bounded read: nothing more, not even new events
                return std::nullopt;
            }
        }
        // A message that does not hold the id cannot hold its events: skip decoding it (a batch
        // of a busy queue holds up to a thousand events of other jobs).
        const bool may_match = !literal_id_ || m->data.find(filter_.job_id) != std::string::npos;
        try {
            for (auto& e : may_match ? decode_event_message(m->data) : std::vector<Event>{}) {
                e.sequence = m->sequence;
                if (matches(e)) ready_.push_back(std::move(e));
            }
        } catch (const SerializationError& bad) {
            spdlog::warn("events: skipping message {} on {}: {}", m->sequence, m->subject, bad.what());
        }
        // The replay just ended without a match: let the caller see caught_up() at once.
        if (replaying && remaining_ == 0 && ready_.empty()) return std::nullopt;
    }
    Event e = std::move(ready_.front());
    ready_.pop_front();
    return e;
}

std::vector<Event> read_events(const Config& config, const EventFilter& filter, bool* truncated) {
    EventStream stream(config, filter);
    std::vector<Event> out;
    while (!stream.caught_up()) {
        auto e = stream.next(config.nats.request_timeout);
        if (!e) break;
        out.push_back(std::move(*e));
    }
    if (truncated != nullptr) *truncated = stream.truncated();
    return out;
}

}  // namespace naq
