// Puller: JetStream pull requests and their deliveries on a subscription of our own (see
// puller.hpp for why natsSubscription_Fetch is not used).
#include "puller.hpp"

#include <algorithm>
#include <chrono>
#include <cstring>

#include "connection_state.hpp"
#include "nats_check.hpp"

namespace naq::detail {

namespace {

constexpr int64_t kNanosPerMilli = 1'000'000;

// What a delivery on the inbox is: a message, or the server's word on a request.
enum class Delivery { message, heartbeat, request_over, error };

Delivery classify(natsMsg* msg, std::string& description) {
    if (natsMsg_GetDataLength(msg) > 0) return Delivery::message;
    const char* status = nullptr;
    if (natsMsgHeader_Get(msg, "Status", &status) != NATS_OK || status == nullptr) return Delivery::message;
    const char* text = nullptr;
    if (natsMsgHeader_Get(msg, "Description", &text) == NATS_OK && text != nullptr) description = text;
    if (std::strncmp(status, "100", 3) == 0) return Delivery::heartbeat;  // idle heartbeat
    // 404: a no_wait request found none; 408: it took what there was, or a request expired.
    if (std::strncmp(status, "404", 3) == 0 || std::strncmp(status, "408", 3) == 0) return Delivery::request_over;
    // 409: "Exceeded MaxWaiting", "Leadership Change", "Server Shutdown", "Consumer Deleted", …
    return Delivery::error;
}

std::string pull_request(int batch, int64_t expires_ms, bool no_wait) {
    std::string body = "{\"batch\":" + std::to_string(batch);
    if (no_wait) {
        body += ",\"no_wait\":true";
    } else {
        // A little shorter than our own wait (what cnats does), so the request is over on the
        // server by the time we stop waiting for it.
        int64_t expires = expires_ms >= 20 ? expires_ms - 10 : expires_ms;
        body += ",\"expires\":" + std::to_string(expires * kNanosPerMilli);
    }
    return body + "}";
}

}  // namespace

Puller::Puller(std::shared_ptr<ConnectionState> conn, const std::string& stream, const std::string& consumer,
               bool ephemeral)
    : conn_(std::move(conn)), next_subject_("$JS.API.CONSUMER.MSG.NEXT." + stream + "." + consumer) {
    if (ephemeral) delete_subject_ = "$JS.API.CONSUMER.DELETE." + stream + "." + consumer;
    natsInbox* inbox = nullptr;
    check(natsInbox_Create(&inbox), "create inbox");
    inbox_ = inbox;
    natsInbox_Destroy(inbox);
    natsSubscription* sub = nullptr;
    check(natsConnection_SubscribeSync(&sub, conn_->nc, inbox_.c_str()), "subscribe to " + inbox_);
    sub_.reset(sub);
    // Deliveries wait here between fetches; the default pending limits (64k messages) would
    // drop a flood of late ones as a slow consumer.
    natsSubscription_SetPendingLimits(sub, -1, -1);
}

Puller::~Puller() {
    // Best effort and without waiting: the consumer's InactiveThreshold removes it otherwise.
    if (!delete_subject_.empty()) {
        natsConnection_PublishRequest(conn_->nc, delete_subject_.c_str(), inbox_.c_str(), nullptr, 0);
    }
}

EphemeralPull pull_ephemeral(const std::shared_ptr<ConnectionState>& conn, const std::string& stream,
                             jsConsumerConfig& config, const std::string& what) {
    jsConsumerInfo* info = nullptr;
    jsErrCode code = static_cast<jsErrCode>(0);
    check(js_AddConsumer(&info, conn->js, stream.c_str(), &config, nullptr, &code), what, code);
    std::unique_ptr<jsConsumerInfo, decltype(&jsConsumerInfo_Destroy)> owned(info, jsConsumerInfo_Destroy);
    EphemeralPull out;
    out.pending = info->NumPending;
    out.puller = std::make_unique<Puller>(conn, stream, info->Name, /*ephemeral=*/true);
    return out;
}

std::vector<Message> Puller::fetch(int batch, Millis timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::vector<Message> out;
    out.reserve(static_cast<std::size_t>(std::max(batch, 0)));
    std::string error;
    // Late deliveries for earlier requests come first: they are ours, their ack wait runs.
    while (static_cast<int>(out.size()) < batch && take(out, Millis(0), error)) {}
    // What is there now, at once.
    if (static_cast<int>(out.size()) < batch) pull(out, batch, /*no_wait=*/true, deadline, error);
    // Nothing: wait for one message, then take what came with it. A request never asks for more
    // than is taken before returning, so no message waits in a fetch for a batch to fill (its
    // ack wait running) and none arrives after the fetch for a request nobody reads.
    if (out.empty() && error.empty()) {
        pull(out, 1, /*no_wait=*/false, deadline, error);
        if (!out.empty() && batch > 1) pull(out, batch, /*no_wait=*/true, deadline, error);
    }
    if (out.empty() && !error.empty()) throw Error("fetch from " + next_subject_ + ": " + error);
    return out;
}

void Puller::pull(std::vector<Message>& out, int up_to, bool no_wait, Clock::time_point deadline, std::string& error) {
    int64_t left = std::chrono::duration_cast<Millis>(deadline - Clock::now()).count();
    if (left <= 0) return;
    std::string body = pull_request(up_to - static_cast<int>(out.size()), left, no_wait);
    check(natsConnection_PublishRequest(conn_->nc, next_subject_.c_str(), inbox_.c_str(), body.data(),
                                        static_cast<int>(body.size())),
          "pull from " + next_subject_);
    while (static_cast<int>(out.size()) < up_to) {
        left = std::chrono::duration_cast<Millis>(deadline - Clock::now()).count();
        if (left <= 0 || !take(out, Millis(left), error)) return;
    }
}

bool Puller::take(std::vector<Message>& out, Millis wait, std::string& error) {
    natsMsg* raw = nullptr;
    natsStatus s = natsSubscription_NextMsg(&raw, sub_.get(), wait.count());
    if (s == NATS_TIMEOUT) return false;
    if (s != NATS_OK) throw_nats_error(s, "fetch from " + next_subject_);
    std::unique_ptr<natsMsg, MsgDeleter> msg(raw);
    std::string description;
    switch (classify(raw, description)) {
        case Delivery::message: out.push_back(Message(msg.release(), conn_)); return true;
        case Delivery::heartbeat: return true;
        case Delivery::request_over: return false;
        case Delivery::error:
            error = description.empty() ? "the server ended the pull request" : description;
            return false;
    }
    return false;
}

}  // namespace naq::detail
