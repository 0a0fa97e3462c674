// JetStream: publish, streams and consumers.
#include <nats/nats.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "connection_state.hpp"
#include "naq/jetstream.hpp"
#include "nats_check.hpp"
#include "puller.hpp"

namespace naq {

using detail::check;

namespace {

constexpr int64_t kNanosPerMilli = 1'000'000;

template <class T, void (*Destroy)(T*)>
struct Owned {
    T* ptr = nullptr;
    ~Owned() {
        if (ptr != nullptr) Destroy(ptr);
    }
    T* operator->() const { return ptr; }
};
using StreamInfoPtr = Owned<jsStreamInfo, jsStreamInfo_Destroy>;
using ConsumerInfoPtr = Owned<jsConsumerInfo, jsConsumerInfo_Destroy>;

// How long a lookup may wait for JetStream to answer (a cluster electing a leader answers nothing).
std::chrono::milliseconds lookup_budget(const Connection& conn) {
    return std::chrono::milliseconds(detail::state_of(conn)->request_timeout_ms);
}

// A consumer's info, waiting out a leader election (request_jetstream); the status is the caller's.
natsStatus consumer_info(const Connection& conn, jsCtx* js, const std::string& stream, const std::string& durable,
                         const std::string& what, ConsumerInfoPtr& ci, jsErrCode& code) {
    return detail::request_jetstream(
        lookup_budget(conn), what,
        [&](jsOptions* o, jsErrCode* c) {
            return js_GetConsumerInfo(&ci.ptr, js, stream.c_str(), durable.c_str(), o, c);
        },
        code);
}

jsRetentionPolicy to_native(Retention r) {
    switch (r) {
        case Retention::work_queue: return js_WorkQueuePolicy;
        case Retention::interest: return js_InterestPolicy;
        case Retention::limits: break;
    }
    return js_LimitsPolicy;
}

const char* retention_name(jsRetentionPolicy r) {
    switch (r) {
        case js_WorkQueuePolicy: return "work_queue";
        case js_InterestPolicy: return "interest";
        default: return "limits";
    }
}

StreamState to_state(const jsStreamInfo* si) {
    StreamState st;
    st.messages = si->State.Msgs;
    st.bytes = si->State.Bytes;
    st.first_sequence = si->State.FirstSeq;
    st.last_sequence = si->State.LastSeq;
    st.consumers = si->State.Consumers;
    return st;
}

struct MsgOwner {
    natsMsg* msg = nullptr;
    ~MsgOwner() {
        if (msg != nullptr) natsMsg_Destroy(msg);
    }
};

}  // namespace

JetStream::JetStream(Connection conn) : conn_(std::move(conn)) {}

jsCtx* JetStream::native_handle() const { return detail::state_of(conn_)->js; }

PubAck JetStream::publish(const std::string& subject, std::string_view data, const PublishOptions& options) const {
    MsgOwner m;
    check(natsMsg_Create(&m.msg, subject.c_str(), nullptr, data.data(), static_cast<int>(data.size())),
          "create message");
    for (const auto& [k, v] : options.headers) {
        check(natsMsgHeader_Set(m.msg, k.c_str(), v.c_str()), "set header " + k);
    }
    jsPubOptions po;
    jsPubOptions_Init(&po);
    if (!options.msg_id.empty()) po.MsgId = options.msg_id.c_str();
    if (options.expect_last_subject_sequence) {
        po.ExpectLastSubjectSeq = *options.expect_last_subject_sequence;
        if (po.ExpectLastSubjectSeq == 0) po.ExpectNoMessage = true;
    }
    jsPubAck* ack = nullptr;
    jsErrCode code = static_cast<jsErrCode>(0);
    try {
        check(js_PublishMsg(&ack, native_handle(), m.msg, &po, &code), "publish to " + subject, code);
    } catch (const Timeout&) {
        // No acknowledgement (and no refusal such as a permission error, which check() reports
        // as such): say what it can mean, and that a retry with the same id is safe.
        throw Timeout("publish to " + subject +
                      ": no acknowledgement in time — the server is slow, or the stream has no leader (a cluster "
                      "that lost quorum, or an election under way); the message may or may not be stored, and a "
                      "retry with the same Nats-Msg-Id (job id) is dropped as a duplicate if it was");
    }
    PubAck out{ack->Sequence, ack->Duplicate};
    jsPubAck_Destroy(ack);
    return out;
}

StreamState JetStream::ensure_stream(const StreamSpec& spec) const {
    std::vector<const char*> subjects;
    for (const auto& s : spec.subjects) subjects.push_back(s.c_str());
    jsStreamConfig cfg;
    jsStreamConfig_Init(&cfg);
    cfg.Name = spec.name.c_str();
    if (!spec.description.empty()) cfg.Description = spec.description.c_str();
    cfg.Subjects = subjects.data();
    cfg.SubjectsLen = static_cast<int>(subjects.size());
    cfg.Retention = to_native(spec.retention);
    cfg.MaxAge = spec.max_age.count() * kNanosPerMilli;
    cfg.MaxMsgs = spec.max_msgs;
    cfg.MaxBytes = spec.max_bytes;
    cfg.Duplicates = spec.duplicate_window.count() * kNanosPerMilli;
    cfg.Storage = spec.storage == StorageType::memory ? js_MemoryStorage : js_FileStorage;
    cfg.Replicas = spec.replicas;
    cfg.Discard = spec.discard_new ? js_DiscardNew : js_DiscardOld;
    StreamInfoPtr si;
    jsErrCode code = static_cast<jsErrCode>(0);
    auto look_up = [&] {
        return detail::request_jetstream(
            lookup_budget(conn_), "look up stream " + spec.name,
            [&](jsOptions* o, jsErrCode* c) {
                return js_GetStreamInfo(&si.ptr, native_handle(), spec.name.c_str(), o, c);
            },
            code);
    };
    natsStatus s = look_up();
    if (s == NATS_NOT_FOUND) {
        code = static_cast<jsErrCode>(0);
        natsStatus created = js_AddStream(&si.ptr, native_handle(), &cfg, nullptr, &code);
        if (created == NATS_OK) {
            spdlog::info("created stream {} ({})", spec.name, retention_name(cfg.Retention));
            return to_state(si.ptr);
        }
        // Processes starting together race to create it: when another one won, use theirs.
        try {
            check(created, "create stream " + spec.name, code);
        } catch (const Conflict&) {
            code = static_cast<jsErrCode>(0);
            s = look_up();
            if (s == NATS_NOT_FOUND) throw;  // a stream of another name holds the subjects
        }
    }
    check(s, "look up stream " + spec.name, code);
    const jsStreamConfig* have = si->Config;
    detail::warn_fewer_replicas(spec.name, static_cast<int>(have->Replicas), spec.replicas);
    if (have->Retention != cfg.Retention) {
        throw Conflict("stream " + spec.name + " exists with retention " + retention_name(have->Retention) +
                       " but naq needs " + retention_name(cfg.Retention) + "; delete it (nats stream rm " + spec.name +
                       ") or use another jetstream.prefix");
    }
    bool missing_subject = false;
    for (const auto& want : spec.subjects) {
        bool found = false;
        for (int i = 0; i < have->SubjectsLen; ++i) found |= (want == have->Subjects[i]);
        missing_subject |= !found;
    }
    if (missing_subject) {
        StreamInfoPtr updated;
        check(js_UpdateStream(&updated.ptr, native_handle(), &cfg, nullptr, &code),
              "add subjects to stream " + spec.name, code);
        return to_state(updated.ptr);
    }
    return to_state(si.ptr);
}

StreamState JetStream::stream_state(const std::string& stream) const {
    StreamInfoPtr si;
    jsErrCode code = static_cast<jsErrCode>(0);
    check(js_GetStreamInfo(&si.ptr, native_handle(), stream.c_str(), nullptr, &code), "stream info " + stream, code);
    return to_state(si.ptr);
}

std::map<std::string, uint64_t> JetStream::subject_counts(const std::string& stream, const std::string& filter) const {
    jsOptions o;
    jsOptions_Init(&o);
    o.Stream.Info.SubjectsFilter = filter.c_str();
    StreamInfoPtr si;
    jsErrCode code = static_cast<jsErrCode>(0);
    check(js_GetStreamInfo(&si.ptr, native_handle(), stream.c_str(), &o, &code), "stream info " + stream, code);
    std::map<std::string, uint64_t> out;
    if (si->State.Subjects != nullptr) {
        for (int i = 0; i < si->State.Subjects->Count; ++i) {
            out[si->State.Subjects->List[i].Subject] = si->State.Subjects->List[i].Msgs;
        }
    }
    return out;
}

uint64_t JetStream::purge(const std::string& stream, const std::string& subject) const {
    uint64_t before = 0;
    if (!subject.empty()) {
        auto counts = subject_counts(stream, subject);
        before = counts.count(subject) ? counts[subject] : 0;
    } else {
        before = stream_state(stream).messages;
    }
    jsOptions o;
    jsOptions_Init(&o);
    if (!subject.empty()) o.Stream.Purge.Subject = subject.c_str();
    jsErrCode code = static_cast<jsErrCode>(0);
    check(js_PurgeStream(native_handle(), stream.c_str(), &o, &code), "purge " + stream, code);
    return before;
}

void JetStream::delete_stream(const std::string& stream) const {
    jsErrCode code = static_cast<jsErrCode>(0);
    check(js_DeleteStream(native_handle(), stream.c_str(), nullptr, &code), "delete stream " + stream, code);
}

std::string JetStream::get_message(const std::string& stream, uint64_t sequence) const {
    MsgOwner m;
    jsErrCode code = static_cast<jsErrCode>(0);
    check(js_GetMsg(&m.msg, native_handle(), stream.c_str(), sequence, nullptr, &code),
          "get message " + std::to_string(sequence) + " of " + stream, code);
    return std::string(natsMsg_GetData(m.msg), static_cast<std::size_t>(natsMsg_GetDataLength(m.msg)));
}

void JetStream::delete_message(const std::string& stream, uint64_t sequence) const {
    jsErrCode code = static_cast<jsErrCode>(0);
    check(js_DeleteMsg(native_handle(), stream.c_str(), sequence, nullptr, &code),
          "delete message " + std::to_string(sequence) + " of " + stream, code);
}

void JetStream::ensure_consumer(const ConsumerSpec& spec) const {
    jsConsumerConfig cc;
    jsConsumerConfig_Init(&cc);
    cc.Durable = spec.durable.c_str();
    cc.AckPolicy = js_AckExplicit;
    cc.DeliverPolicy = js_DeliverAll;
    cc.AckWait = spec.ack_wait.count() * kNanosPerMilli;
    cc.MaxAckPending = spec.max_ack_pending;
    cc.MaxDeliver = spec.max_deliver;
    cc.MaxWaiting = 512;
    if (spec.max_request_batch > 0) cc.MaxRequestBatch = spec.max_request_batch;
    if (!spec.filter_subject.empty()) cc.FilterSubject = spec.filter_subject.c_str();
    ConsumerInfoPtr ci;
    jsErrCode code = static_cast<jsErrCode>(0);
    natsStatus s =
        consumer_info(conn_, native_handle(), spec.stream, spec.durable, "look up consumer " + spec.durable, ci, code);
    if (s == NATS_NOT_FOUND) {
        ConsumerInfoPtr created;
        code = static_cast<jsErrCode>(0);
        check(js_AddConsumer(&created.ptr, native_handle(), spec.stream.c_str(), &cc, nullptr, &code),
              "create consumer " + spec.durable, code);
        return;
    }
    check(s, "look up consumer " + spec.durable, code);
    const jsConsumerConfig* have = ci->Config;
    if (have->AckWait != cc.AckWait || have->MaxAckPending != cc.MaxAckPending || have->MaxDeliver != cc.MaxDeliver) {
        ConsumerInfoPtr updated;
        check(js_UpdateConsumer(&updated.ptr, native_handle(), spec.stream.c_str(), &cc, nullptr, &code),
              "update consumer " + spec.durable, code);
    }
}

ConsumerState JetStream::consumer_state(const std::string& stream, const std::string& durable) const {
    ConsumerInfoPtr ci;
    jsErrCode code = static_cast<jsErrCode>(0);
    check(js_GetConsumerInfo(&ci.ptr, native_handle(), stream.c_str(), durable.c_str(), nullptr, &code),
          "consumer info " + durable, code);
    return ConsumerState{ci->NumPending, ci->NumAckPending, ci->NumRedelivered, ci->NumWaiting};
}

std::vector<std::string> JetStream::consumer_names(const std::string& stream) const {
    jsConsumerNamesList* list = nullptr;
    jsErrCode code = static_cast<jsErrCode>(0);
    natsStatus s = js_ConsumerNames(&list, native_handle(), stream.c_str(), nullptr, &code);
    std::vector<std::string> out;
    if (s == NATS_NOT_FOUND) return out;
    check(s, "list consumers of " + stream, code);
    for (int i = 0; i < list->Count; ++i) out.push_back(list->List[i]);
    jsConsumerNamesList_Destroy(list);
    return out;
}

void JetStream::scan(const std::string& stream, const std::string& filter,
                     const std::function<bool(uint64_t, std::string_view)>& visit) const {
    auto counts = subject_counts(stream, filter);
    uint64_t total = 0;
    for (const auto& [subject, n] : counts) total += n;
    if (total == 0) return;  // an empty fetch would wait for its whole timeout
    jsConsumerConfig cc;
    jsConsumerConfig_Init(&cc);
    cc.AckPolicy = js_AckNone;
    cc.DeliverPolicy = js_DeliverAll;
    cc.FilterSubject = filter.c_str();
    cc.InactiveThreshold = 30'000 * kNanosPerMilli;  // the server drops it if we vanish
    PullSubscription sub(
        detail::pull_ephemeral(detail::state_of(conn_), stream, cc, "scan " + stream + " " + filter).puller);
    while (true) {
        auto batch = sub.fetch(256, Millis(detail::state_of(conn_)->request_timeout_ms));
        if (batch.empty()) return;
        for (auto& m : batch) {
            jsMsgMetaData* meta = nullptr;
            check(natsMsg_GetMetaData(&meta, m.native_handle()), "read message metadata");
            uint64_t seq = meta->Sequence.Stream;
            uint64_t left = meta->NumPending;
            jsMsgMetaData_Destroy(meta);
            if (!visit(seq, m.data()) || left == 0) return;
        }
    }
}

PullSubscription JetStream::pull_subscribe(const std::string& stream, const std::string& durable) const {
    // The consumer must exist (ensure_consumer made it): bind to nothing else.
    ConsumerInfoPtr ci;
    jsErrCode code = static_cast<jsErrCode>(0);
    check(consumer_info(conn_, native_handle(), stream, durable, "bind to consumer " + durable, ci, code),
          "bind to consumer " + durable, code);
    return PullSubscription(std::make_unique<detail::Puller>(detail::state_of(conn_), stream, durable));
}

}  // namespace naq
