// Asynchronous publishing on the shared context, and reading a stream in order through
// ephemeral consumers (events replay / follow).
#include <nats/nats.h>

#include <algorithm>
#include <utility>

#include "connection_state.hpp"
#include "naq/jetstream.hpp"
#include "nats_check.hpp"
#include "puller.hpp"

namespace naq {

using detail::check;

namespace {

constexpr int64_t kNanosPerMilli = 1'000'000;
constexpr uint64_t kMaxBatch = 256;
// The server forgets an ephemeral consumer this long after its reader went away.
constexpr int64_t kInactiveThresholdMs = 30'000;

// cnats 3.4 encodes a start time's fraction of a second without leading zeros (50 ms is sent
// as ".05" → ".5"), so a start time is only sent as is when its fraction has three digits;
// otherwise the reader starts at the whole second and drops the older messages itself.
int64_t encodable_start_ms(int64_t start_ms) { return start_ms % 1000 >= 100 ? start_ms : start_ms - start_ms % 1000; }

void init_reader_config(jsConsumerConfig& cc, const ReadSpec& spec) {
    cc.AckPolicy = js_AckNone;
    cc.InactiveThreshold = kInactiveThresholdMs * kNanosPerMilli;
    if (!spec.filter.empty()) cc.FilterSubject = spec.filter.c_str();
    if (spec.only_new) {
        cc.DeliverPolicy = js_DeliverNew;
    } else if (spec.start_time_ms > 0) {
        cc.DeliverPolicy = js_DeliverByStartTime;
        cc.OptStartTime = encodable_start_ms(spec.start_time_ms) * kNanosPerMilli;
    } else if (spec.start_sequence > 0) {
        cc.DeliverPolicy = js_DeliverByStartSequence;
        cc.OptStartSeq = spec.start_sequence;
    } else {
        cc.DeliverPolicy = js_DeliverAll;
    }
}

}  // namespace

// ---- asynchronous publish

void JetStream::publish_async(const std::string& subject, std::string_view data) const {
    check(js_PublishAsync(native_handle(), subject.c_str(), data.data(), static_cast<int>(data.size()), nullptr),
          "publish to " + subject);
}

void JetStream::flush_async(Millis timeout) const {
    jsPubOptions po;
    jsPubOptions_Init(&po);
    po.MaxWait = timeout.count();
    check(js_PublishAsyncComplete(native_handle(), &po), "wait for asynchronous publishes");
}

// ---- StreamReader

StreamReader::StreamReader(PullSubscription sub, uint64_t initial_pending)
    : sub_(std::move(sub)), initial_pending_(initial_pending), pending_(initial_pending) {}
StreamReader::StreamReader(StreamReader&&) noexcept = default;
StreamReader& StreamReader::operator=(StreamReader&&) noexcept = default;
StreamReader::~StreamReader() = default;

std::optional<StreamMessage> StreamReader::next(Millis timeout) {
    if (first_) return std::exchange(first_, std::nullopt);
    if (buffer_.empty()) {
        // Messages known to be stored come in batches; when none are, one long poll returns as
        // soon as the next message arrives.
        int batch = static_cast<int>(std::clamp<uint64_t>(pending_, 1, kMaxBatch));
        for (auto& m : sub_.fetch(batch, Millis(std::max<int64_t>(timeout.count(), 1)))) {
            buffer_.push_back(std::move(m));
        }
        if (buffer_.empty()) return std::nullopt;
    }
    Message m = std::move(buffer_.front());
    buffer_.pop_front();
    StreamMessage out;
    out.subject = std::string(m.subject());
    out.data = std::string(m.data());
    jsMsgMetaData* meta = nullptr;
    check(natsMsg_GetMetaData(&meta, m.native_handle()), "read message metadata");
    out.sequence = meta->Sequence.Stream;
    out.time_ms = meta->Timestamp / kNanosPerMilli;
    out.pending = meta->NumPending;
    jsMsgMetaData_Destroy(meta);
    pending_ = out.pending;
    return out;
}

StreamReader JetStream::read(const ReadSpec& spec) const {
    jsConsumerConfig cc;
    jsConsumerConfig_Init(&cc);
    init_reader_config(cc, spec);
    auto pull = detail::pull_ephemeral(detail::state_of(conn_), spec.stream, cc, "read stream " + spec.stream);
    StreamReader reader(PullSubscription(std::move(pull.puller)), pull.pending);
    if (!spec.only_new && spec.start_time_ms > 0 && encodable_start_ms(spec.start_time_ms) != spec.start_time_ms) {
        reader.drop_older_than(spec.start_time_ms);
    }
    return reader;
}

void StreamReader::drop_older_than(int64_t time_ms) {
    // Only messages counted as pending are read here, so every fetch returns at once.
    while (initial_pending_ > 0) {
        auto m = next(Millis(1000));
        if (!m) return;
        if (m->time_ms >= time_ms) {
            first_ = std::move(m);
            return;
        }
        --initial_pending_;
    }
}

}  // namespace naq
