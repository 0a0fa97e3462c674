// ConfirmedPublisher: asynchronous JetStream publishes with a completion callback each.
#include "connection/confirmed_publisher.hpp"

#include <nats/nats.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "connection_state.hpp"
#include "nats_check.hpp"

namespace naq {

namespace detail {

struct ConfirmedPublisherState {
    using Clock = std::chrono::steady_clock;
    struct Pending {
        ConfirmedPublisher::Done done;
        Clock::time_point deadline;
    };

    jsCtx* js = nullptr;
    std::shared_ptr<ConnectionState> conn;
    Millis ack_timeout{5000};
    mutable std::mutex mutex;  // the ack handler runs on cnats' thread
    // Keyed by the message cnats hands back to the ack handler. An entry expire() removed may
    // still be acked later: its handler then finds nothing and only frees the message.
    std::unordered_map<natsMsg*, Pending> pending;
    // Messages cnats took, and the ones whose ack handler ran: unequal, cnats may still call it.
    std::atomic<uint64_t> sent{0};
    std::atomic<uint64_t> answered{0};
    std::atomic<int64_t> next_sweep_ms{0};  // steady-clock ms: publish() sweeps at most once a second

    static int64_t now_ms() { return std::chrono::duration_cast<Millis>(Clock::now().time_since_epoch()).count(); }

    ~ConfirmedPublisherState() {
        if (js != nullptr) jsCtx_Destroy(js);
    }

    ConfirmedPublisher::Done take(natsMsg* msg) {
        std::lock_guard lock(mutex);
        auto it = pending.find(msg);
        if (it == pending.end()) return nullptr;
        ConfirmedPublisher::Done done = std::move(it->second.done);
        pending.erase(it);
        return done;
    }

    /// The callbacks of every publish whose deadline passed (all of them when `all`).
    std::vector<ConfirmedPublisher::Done> take_expired(bool all) {
        std::vector<ConfirmedPublisher::Done> out;
        const auto now = Clock::now();
        std::lock_guard lock(mutex);
        for (auto it = pending.begin(); it != pending.end();) {
            if (all || it->second.deadline <= now) {
                out.push_back(std::move(it->second.done));
                it = pending.erase(it);
            } else {
                ++it;
            }
        }
        return out;
    }
};

}  // namespace detail

namespace {

void on_ack(jsCtx*, natsMsg* msg, jsPubAck*, jsPubAckErr* pae, void* closure) {
    auto* state = static_cast<detail::ConfirmedPublisherState*>(closure);
    ConfirmedPublisher::Done done = state->take(msg);
    natsMsg_Destroy(msg);  // the handler owns the message
    state->answered.fetch_add(1, std::memory_order_release);
    if (!done) return;  // expired already
    if (pae == nullptr) {
        done({});
        return;
    }
    std::string error = natsStatus_GetText(pae->Err);
    if (pae->ErrText != nullptr) error += std::string(": ") + pae->ErrText;
    done(error);
}

void fail_all(std::vector<ConfirmedPublisher::Done> callbacks, const std::string& error) {
    for (auto& done : callbacks) done(error);
}

}  // namespace

ConfirmedPublisher::ConfirmedPublisher(const Connection& conn, int64_t max_pending, Millis ack_timeout)
    : state_(std::make_unique<detail::ConfirmedPublisherState>()) {
    state_->conn = detail::state_of(conn);
    state_->ack_timeout = ack_timeout;
    state_->js = detail::new_ack_context(state_->conn->nc, max_pending, ack_timeout.count(), on_ack, state_.get());
}

ConfirmedPublisher::~ConfirmedPublisher() {
    if (!state_ || state_->js == nullptr) return;
    drain(state_->ack_timeout);
    // (js_PublishAsyncGetPendingList would tell, but crashes in cnats 3.4.1 when nothing was
    // ever published on the context.)
    if (state_->answered.load(std::memory_order_acquire) != state_->sent.load()) {
        (void)state_.release();  // cnats may still call on_ack with it; see the header
    }
}

void ConfirmedPublisher::drain(Millis timeout) {
    if (pending() > 0) {
        jsPubOptions po;
        jsPubOptions_Init(&po);
        po.MaxWait = std::max<int64_t>(timeout.count(), 1);
        js_PublishAsyncComplete(state_->js, &po);
    }
    fail_all(state_->take_expired(/*all=*/true), "no ack within the shutdown wait");
}

void ConfirmedPublisher::publish(const std::string& subject, std::string_view data, Done done) {
    sweep();
    natsMsg* msg = nullptr;
    detail::check(natsMsg_Create(&msg, subject.c_str(), nullptr, data.data(), static_cast<int>(data.size())),
                  "create message");
    {
        std::lock_guard lock(state_->mutex);
        state_->pending.emplace(
            msg, detail::ConfirmedPublisherState::Pending{
                     std::move(done), detail::ConfirmedPublisherState::Clock::now() + state_->ack_timeout});
    }
    // No per-message MaxWait (cnats would allocate a timer record per publish): expire() does it.
    natsMsg* sent = msg;
    natsStatus s = js_PublishMsgAsync(state_->js, &sent, nullptr);
    if (s == NATS_OK) state_->sent.fetch_add(1);
    if (s != NATS_OK) {
        state_->take(msg);                           // never sent: its callback will not run
        if (sent != nullptr) natsMsg_Destroy(sent);  // not taken by cnats
        detail::throw_nats_error(s, "publish to " + subject);
    }
}

std::size_t ConfirmedPublisher::expire() {
    state_->next_sweep_ms.store(detail::ConfirmedPublisherState::now_ms() + 1000, std::memory_order_relaxed);
    auto expired = state_->take_expired(/*all=*/false);
    std::size_t n = expired.size();
    fail_all(std::move(expired), "no ack within " + std::to_string(state_->ack_timeout.count()) + " ms");
    return n;
}

std::size_t ConfirmedPublisher::sweep() {
    if (detail::ConfirmedPublisherState::now_ms() < state_->next_sweep_ms.load(std::memory_order_relaxed)) return 0;
    return expire();
}

std::size_t ConfirmedPublisher::pending() const {
    std::lock_guard lock(state_->mutex);
    return state_->pending.size();
}

}  // namespace naq
