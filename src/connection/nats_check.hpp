// The one place a natsStatus becomes a typed naq exception.
#pragma once

#include <nats/nats.h>

#include <chrono>
#include <functional>
#include <string>
#include <string_view>

namespace naq::detail {

/// Throws the naq::Error subclass for `status`, with `what` + cnats' own error text.
/// `js_code` is the JetStream API error code when the call returned one.
[[noreturn]] void throw_nats_error(natsStatus status, std::string_view what, int js_code = 0);

/// cnats' words for `status` on this thread: its status text, and the detail of the last error
/// when that was this status ("Timeout (no ack within timeout)").
std::string cnats_error_text(natsStatus status);

/// Notes the server's text of a permission violation ("Permissions Violation for Publish to
/// ..."), from the async error callback. The server does not answer a refused request, which
/// then only times out: a timeout within a minute of a violation becomes PermissionDenied
/// quoting it.
void note_permission_violation(std::string_view server_text);

/// A JetStream API request (stream or consumer info, bucket bind) that takes per-call options.
using JetStreamRequest = std::function<natsStatus(jsOptions* options, jsErrCode* code)>;

/// Runs `request` until JetStream answers it, for up to `budget`: a cluster answers nothing while
/// it elects a stream leader (a few seconds after a node died) or while it has lost quorum. Each
/// try waits at most a second. Returns the status of the first answered try (NATS_OK,
/// NATS_NOT_FOUND, an API error…) with its code in `code`; throws ConnectionError saying that
/// JetStream has no leader (or is off) when the budget runs out.
natsStatus request_jetstream(std::chrono::milliseconds budget, std::string_view what, const JetStreamRequest& request,
                             jsErrCode& code);

/// Warns (once per stream and process) when an existing stream or bucket has fewer copies than
/// jetstream.replicas asks for: whichever process creates it first decides, and a process
/// started without the cluster's setting leaves it on one server. Never changed here (two
/// processes with different settings would flip it back and forth).
void warn_fewer_replicas(const std::string& stream, int have, int want);

/// Returns when `status` is NATS_OK; throws otherwise.
inline void check(natsStatus status, std::string_view what, int js_code = 0) {
    if (status != NATS_OK) throw_nats_error(status, what, js_code);
}

/// For `check(js_Call(..., &code), what, code)`: the code is taken by reference and read after
/// the call has filled it (arguments are evaluated in no fixed order, so by value it can be 0).
inline void check(natsStatus status, std::string_view what, const jsErrCode& js_code) {
    if (status != NATS_OK) throw_nats_error(status, what, static_cast<int>(js_code));
}

}  // namespace naq::detail
