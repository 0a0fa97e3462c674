// Batched JetStream publishing with its own context, so a batch collects exactly its own acks.
#include <nats/nats.h>

#include <mutex>

#include "connection_state.hpp"
#include "naq/async_publisher.hpp"
#include "naq/jetstream.hpp"
#include "nats_check.hpp"

namespace naq {

using detail::check;

struct detail::AsyncPublisherState {
    jsCtx* js = nullptr;
    std::shared_ptr<detail::ConnectionState> conn;
    std::mutex mutex;  // the ack handler runs on cnats' thread
    AsyncPublisher::Outcome outcome;
    int64_t ack_timeout_ms = 5000;

    ~AsyncPublisherState() {
        if (js != nullptr) jsCtx_Destroy(js);
    }
};

namespace {

std::string msg_id_of(natsMsg* msg) {
    const char* id = nullptr;
    if (msg != nullptr && natsMsgHeader_Get(msg, "Nats-Msg-Id", &id) == NATS_OK && id != nullptr) return id;
    return {};
}

void on_ack(jsCtx*, natsMsg* msg, jsPubAck* pa, jsPubAckErr* pae, void* closure) {
    auto* st = static_cast<detail::AsyncPublisherState*>(closure);
    {
        std::lock_guard lock(st->mutex);
        if (pae != nullptr) {
            std::string error = natsStatus_GetText(pae->Err);
            if (pae->ErrText != nullptr) error += std::string(": ") + pae->ErrText;
            st->outcome.failures.push_back({msg_id_of(msg), error});
        } else if (pa != nullptr && pa->Duplicate) {
            st->outcome.duplicates.push_back(msg_id_of(msg));
        } else {
            ++st->outcome.acked;
        }
    }
    natsMsg_Destroy(msg);  // the handler owns the message
}

}  // namespace

namespace detail {

jsCtx* new_ack_context(natsConnection* nc, int64_t max_pending, int64_t ack_timeout_ms, jsPubAckHandler on_ack,
                       void* closure) {
    jsOptions o;
    jsOptions_Init(&o);
    o.Wait = ack_timeout_ms;
    o.PublishAsync.MaxPending = max_pending;
    o.PublishAsync.AckHandler = on_ack;
    o.PublishAsync.AckHandlerClosure = closure;
    o.PublishAsync.StallWait = ack_timeout_ms;
    jsCtx* js = nullptr;
    check(natsConnection_JetStream(&js, nc, &o), "create JetStream context");
    return js;
}

}  // namespace detail

AsyncPublisher::AsyncPublisher(const Connection& conn, int64_t max_pending, Millis ack_timeout)
    : state_(std::make_unique<detail::AsyncPublisherState>()) {
    state_->conn = detail::state_of(conn);
    state_->ack_timeout_ms = ack_timeout.count();
    state_->js = detail::new_ack_context(state_->conn->nc, max_pending, ack_timeout.count(), on_ack, state_.get());
}

AsyncPublisher::~AsyncPublisher() {
    if (state_ && state_->js != nullptr) {
        // Wait briefly so no ack handler runs against a destroyed State.
        jsPubOptions po;
        jsPubOptions_Init(&po);
        po.MaxWait = state_->ack_timeout_ms;
        js_PublishAsyncComplete(state_->js, &po);
    }
}

void AsyncPublisher::publish(const std::string& subject, std::string_view data, const std::string& msg_id) {
    natsMsg* msg = nullptr;
    check(natsMsg_Create(&msg, subject.c_str(), nullptr, data.data(), static_cast<int>(data.size())), "create message");
    if (!msg_id.empty()) natsMsgHeader_Set(msg, "Nats-Msg-Id", msg_id.c_str());
    // No per-message MaxWait: cnats would allocate and queue a timeout record per publish (kept
    // until it expires, acked or not); complete() bounds the wait for every ack instead.
    natsStatus s = js_PublishMsgAsync(state_->js, &msg, nullptr);
    if (s != NATS_OK) {
        if (msg != nullptr) natsMsg_Destroy(msg);  // not taken by cnats
        detail::throw_nats_error(s, "publish to " + subject);
    }
}

AsyncPublisher::Outcome AsyncPublisher::complete(Millis timeout) {
    jsPubOptions po;
    jsPubOptions_Init(&po);
    po.MaxWait = timeout.count();
    natsStatus s = js_PublishAsyncComplete(state_->js, &po);
    if (s == NATS_TIMEOUT) {
        // Whatever is still pending counts as failed: the caller decides whether to retry.
        natsMsgList pending{nullptr, 0};
        if (js_PublishAsyncGetPendingList(&pending, state_->js) == NATS_OK) {
            std::lock_guard lock(state_->mutex);
            for (int i = 0; i < pending.Count; ++i) {
                state_->outcome.failures.push_back({msg_id_of(pending.Msgs[i]), "no ack within timeout"});
            }
            natsMsgList_Destroy(&pending);
        }
    } else {
        check(s, "wait for publish acks");
    }
    std::lock_guard lock(state_->mutex);
    Outcome out = std::move(state_->outcome);
    state_->outcome = {};
    return out;
}

}  // namespace naq
