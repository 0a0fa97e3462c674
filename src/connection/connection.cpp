// Connection, Message and subscription wrappers over cnats.
#include <nats/nats.h>
#include <spdlog/spdlog.h>

#include "connection_state.hpp"
#include "naq/errors.hpp"
#include "naq/jetstream.hpp"
#include "nats_check.hpp"
#include "puller.hpp"

namespace naq {

using detail::check;

namespace detail {
void MsgDeleter::operator()(natsMsg* msg) const noexcept { natsMsg_Destroy(msg); }
void SubscriptionDeleter::operator()(natsSubscription* sub) const noexcept {
    natsSubscription_Unsubscribe(sub);
    natsSubscription_Destroy(sub);
}
}  // namespace detail

// ---- Message

std::string_view Message::subject() const { return natsMsg_GetSubject(msg_.get()); }

std::string_view Message::data() const {
    return {natsMsg_GetData(msg_.get()), static_cast<std::size_t>(natsMsg_GetDataLength(msg_.get()))};
}

std::optional<std::string> Message::header(const char* name) const {
    const char* value = nullptr;
    if (natsMsgHeader_Get(msg_.get(), name, &value) != NATS_OK || value == nullptr) return std::nullopt;
    return std::string(value);
}

namespace {

// One field of the JetStream metadata cnats parses from the message's reply subject.
template <class Field>
auto read_metadata(natsMsg* msg, Field field) {
    jsMsgMetaData* meta = nullptr;
    check(natsMsg_GetMetaData(&meta, msg), "read message metadata");
    auto value = field(*meta);
    jsMsgMetaData_Destroy(meta);
    return value;
}

}  // namespace

uint64_t Message::num_delivered() const {
    return read_metadata(msg_.get(), [](const jsMsgMetaData& m) { return m.NumDelivered; });
}

uint64_t Message::stream_sequence() const {
    return read_metadata(msg_.get(), [](const jsMsgMetaData& m) { return m.Sequence.Stream; });
}

int64_t Message::stored_at_ms() const {
    return read_metadata(msg_.get(), [](const jsMsgMetaData& m) { return m.Timestamp / 1'000'000; });
}

// The acks natsMsg_Ack and friends send, published by us: the messages come from naq's own
// pull subscription (puller.hpp), which cnats' ack functions do not accept.
void Message::reply(const char* body, const char* what) {
    const char* to = natsMsg_GetReply(msg_.get());
    if (to == nullptr || *to == '\0') throw InvalidArgument(std::string(what) + ": the message has no reply subject");
    check(natsConnection_PublishString(conn_->nc, to, body), what);
}

void Message::ack() { reply("+ACK", "ack"); }
void Message::nak() { reply("-NAK", "nak"); }
void Message::nak(Millis delay) {
    // The server takes the delay in nanoseconds.
    std::string body = "-NAK {\"delay\":" + std::to_string(delay.count() * 1'000'000) + "}";
    reply(body.c_str(), "nak with delay");
}
void Message::in_progress() { reply("+WPI", "in-progress ack"); }
void Message::term() { reply("+TERM", "term"); }

// ---- PullSubscription

PullSubscription::PullSubscription(std::unique_ptr<detail::Puller> puller) : puller_(std::move(puller)) {}
PullSubscription::PullSubscription(PullSubscription&&) noexcept = default;
PullSubscription& PullSubscription::operator=(PullSubscription&&) noexcept = default;
PullSubscription::~PullSubscription() = default;

std::vector<Message> PullSubscription::fetch(int batch, Millis timeout) { return puller_->fetch(batch, timeout); }

// ---- Connection

namespace {

void on_message(natsConnection*, natsSubscription*, natsMsg* raw, void* closure) {
    std::unique_ptr<natsMsg, detail::MsgDeleter> msg(raw);
    auto* handler = static_cast<Subscription::Handler*>(closure);
    try {
        (*handler)(natsMsg_GetSubject(raw),
                   std::string_view(natsMsg_GetData(raw), static_cast<std::size_t>(natsMsg_GetDataLength(raw))));
    } catch (const std::exception& e) {
        spdlog::error("subscription handler for {} failed: {}", natsMsg_GetSubject(raw), e.what());
    }
}

}  // namespace

void Connection::publish(const std::string& subject, std::string_view data) const {
    check(natsConnection_Publish(state_->nc, subject.c_str(), data.data(), static_cast<int>(data.size())),
          "publish to " + subject);
}

std::string Connection::request(const std::string& subject, std::string_view data, Millis timeout) const {
    natsMsg* reply = nullptr;
    check(natsConnection_Request(&reply, state_->nc, subject.c_str(), data.data(), static_cast<int>(data.size()),
                                 timeout.count()),
          "request on " + subject);
    std::unique_ptr<natsMsg, detail::MsgDeleter> owned(reply);
    return std::string(natsMsg_GetData(reply), static_cast<std::size_t>(natsMsg_GetDataLength(reply)));
}

Subscription Connection::subscribe(const std::string& subject, Subscription::Handler handler) const {
    auto owned = std::make_unique<Subscription::Handler>(std::move(handler));
    natsSubscription* sub = nullptr;
    check(natsConnection_Subscribe(&sub, state_->nc, subject.c_str(), on_message, owned.get()),
          "subscribe to " + subject);
    return Subscription(sub, std::move(owned), state_);
}

void Connection::flush(Millis timeout) const {
    check(natsConnection_FlushTimeout(state_->nc, timeout.count()), "flush");
}

bool Connection::closed() const { return natsConnection_IsClosed(state_->nc); }

bool Connection::connected() const { return natsConnection_Status(state_->nc) == NATS_CONN_STATUS_CONNECTED; }

std::string Connection::server_id() const {
    char buf[128] = {0};
    check(natsConnection_GetConnectedServerId(state_->nc, buf, sizeof(buf)), "server id");
    return buf;
}

uint64_t Connection::reconnects() const { return state_->callbacks->reconnects.load(); }

int64_t Connection::max_payload() const { return natsConnection_GetMaxPayload(state_->nc); }

natsConnection* Connection::native_handle() const { return state_->nc; }

}  // namespace naq
