#include "nats_check.hpp"

#include <algorithm>
#include <chrono>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include <spdlog/spdlog.h>

#include "naq/connection.hpp"
#include "naq/errors.hpp"

namespace naq::detail {

namespace {

// JetStream API codes that mean "does not exist" or "lost a race" rather than a server fault.
constexpr int kStreamNotFound = 10059;
constexpr int kConsumerNotFound = 10014;
constexpr int kNoMessageFound = 10037;
constexpr int kWrongLastSequence = 10071;
constexpr int kStreamNameInUse = 10058;
constexpr int kStreamSubjectOverlap = 10065;
// "JetStream system temporarily unavailable": a clustered server without a meta leader.
constexpr int kClusterNotAvailable = 10008;
// "insufficient resources": the server's JetStream store (or the account's share) is full.
constexpr int kInsufficientResources = 10023;

struct Violation {
    std::mutex mutex;
    std::string text;
    std::chrono::steady_clock::time_point at;
    std::function<void(const std::string&)> handler;  // on_permission_violation()
};

Violation& last_violation() {
    static auto* v = new Violation();  // never freed: cnats threads may note one during exit
    return *v;
}

// The violation noted within the last minute, if any.
std::string recent_violation() {
    Violation& v = last_violation();
    std::lock_guard lock(v.mutex);
    if (v.text.empty() || std::chrono::steady_clock::now() - v.at > std::chrono::minutes(1)) return {};
    return v.text;
}

std::string message(natsStatus status, std::string_view what, int js_code) {
    std::string text = std::string(what) + ": " + cnats_error_text(status);
    if (js_code != 0) text += " [JetStream error " + std::to_string(js_code) + "]";
    if (js_code == kInsufficientResources) {
        text +=
            " — the server's JetStream storage is full (its max_file_store / max_memory_store, or the "
            "account's limit): free space (purge events or old dead letters) or raise the limit";
    }
    return text;
}

}  // namespace

std::string cnats_error_text(natsStatus status) {
    std::string text = natsStatus_GetText(status);
    // cnats keeps the server's own description (e.g. "wrong last sequence: 5") per thread.
    natsStatus last = NATS_OK;
    const char* detail = nats_GetLastError(&last);
    if (detail != nullptr && *detail != '\0' && last == status) text += std::string(" (") + detail + ")";
    return text;
}

natsStatus request_jetstream(std::chrono::milliseconds budget, std::string_view what, const JetStreamRequest& request,
                             jsErrCode& code) {
    using Clock = std::chrono::steady_clock;
    const auto deadline = Clock::now() + budget;
    auto pause = std::chrono::milliseconds(50);
    natsStatus status = NATS_OK;
    while (true) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        jsOptions options;
        jsOptions_Init(&options);
        options.Wait = std::clamp<int64_t>(left.count(), 1, 1000);
        code = static_cast<jsErrCode>(0);
        status = request(&options, &code);
        bool unanswered =
            status == NATS_TIMEOUT || status == NATS_NO_RESPONDERS || static_cast<int>(code) == kClusterNotAvailable;
        if (!unanswered || !recent_violation().empty()) return status;  // a refusal is not an election
        if (Clock::now() + pause >= deadline) break;
        std::this_thread::sleep_for(pause);
        pause = std::min(pause * 2, std::chrono::milliseconds(500));
    }
    std::string text = std::string(what) + ": JetStream gave no answer within " + std::to_string(budget.count()) +
                       " ms (" + cnats_error_text(status) + "): ";
    if (status == NATS_NO_RESPONDERS) {
        text += "the server runs without JetStream (start it with -js), or its cluster has no JetStream leader";
    } else {
        text +=
            "no leader for it — a cluster with fewer than a majority of its nodes up (quorum lost), or an "
            "election still under way";
    }
    throw ConnectionError(text);
}

void note_permission_violation(std::string_view server_text) {
    Violation& v = last_violation();
    std::function<void(const std::string&)> handler;
    {
        std::lock_guard lock(v.mutex);
        v.text = std::string(server_text);
        v.at = std::chrono::steady_clock::now();
        handler = v.handler;
    }
    if (handler) handler(std::string(server_text));
}

void throw_nats_error(natsStatus status, std::string_view what, int js_code) {
    std::string text = message(status, what, js_code);
    if (status == NATS_TIMEOUT || status == NATS_NOT_PERMITTED) {
        if (std::string violation = recent_violation(); !violation.empty()) {
            throw PermissionDenied(std::string(what) + ": the server refused: " + violation);
        }
    }
    switch (status) {
        case NATS_TIMEOUT: throw Timeout(text);
        case NATS_NOT_FOUND: throw NotFound(text);
        case NATS_NO_SERVER:
        case NATS_CONNECTION_CLOSED:
        case NATS_CONNECTION_DISCONNECTED:
        case NATS_CONNECTION_AUTH_FAILED:
        case NATS_NOT_PERMITTED:
        case NATS_IO_ERROR:
        case NATS_SSL_ERROR:
        case NATS_STALE_CONNECTION:
        case NATS_SECURE_CONNECTION_REQUIRED: throw ConnectionError(text);
        case NATS_NO_RESPONDERS:
            // Nobody answered: JetStream is off on the server, or no stream takes this subject.
            throw NotFound(text + " — is the server started with JetStream (-js)?");
        case NATS_INVALID_ARG:
        case NATS_INVALID_SUBJECT: throw InvalidArgument(text);
        default: break;
    }
    switch (js_code) {
        case kStreamNotFound:
        case kConsumerNotFound:
        case kNoMessageFound: throw NotFound(text);
        case kWrongLastSequence:
        case kStreamNameInUse:
        case kStreamSubjectOverlap: throw Conflict(text);
        default: break;
    }
    if (js_code != 0 || status == NATS_ERR) throw ApiError(text, js_code);
    throw Error(text);
}

void warn_fewer_replicas(const std::string& stream, int have, int want) {
    if (have >= want) return;
    static std::mutex mutex;
    static std::set<std::string> warned;
    {
        std::lock_guard lock(mutex);
        if (!warned.insert(stream).second) return;
    }
    spdlog::warn(
        "stream {} has {} replica(s) but jetstream.replicas is {}: a process with another setting created it; "
        "raise it with `nats stream edit {} --replicas {}` (docs/deploy.md)",
        stream, have, want, stream, want);
}

}  // namespace naq::detail

namespace naq {

void on_permission_violation(std::function<void(const std::string& server_text)> handler) {
    detail::Violation& v = detail::last_violation();
    std::lock_guard lock(v.mutex);
    v.handler = std::move(handler);
}

}  // namespace naq
