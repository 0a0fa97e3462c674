// naq error hierarchy. Every failure the library reports is a naq::Error; the subclass says
// what kind of failure it was, so callers branch on types, never on message text.
#pragma once

#include <stdexcept>
#include <string>

namespace naq {

/// Root of every exception naq throws.
class Error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// A configuration value is missing, of the wrong type or out of range.
/// The message names where the value came from (file, env var or flag), the key and what was expected.
class ConfigError : public Error {
public:
    using Error::Error;
};

/// The NATS server cannot be reached, or the connection was closed.
class ConnectionError : public Error {
public:
    using Error::Error;
};

/// The server refused a subject to this connection's user (its NATS permissions lack one naq
/// needs). The message quotes the server, subject included: "Permissions Violation for Publish
/// to ...". docs/security.md lists what each role needs.
class PermissionDenied : public Error {
public:
    using Error::Error;
};

/// An operation did not complete within its time limit.
class Timeout : public Error {
public:
    using Error::Error;
};

/// A key, bucket, stream, consumer, job or schedule does not exist (Python naq: KeyValueNotFound,
/// JobNotFoundError).
class NotFound : public Error {
public:
    using Error::Error;
};

/// The JetStream API rejected a request (Python naq: APIError). Carries the JetStream error code
/// (e.g. 10077 "maximum messages exceeded"), 0 when the server did not send one.
class ApiError : public Error {
public:
    ApiError(const std::string& what, int js_code) : Error(what), js_code_(js_code) {}
    /// The JetStream error code (see nats status.h `jsErrCode`), 0 if none.
    int js_code() const noexcept { return js_code_; }

private:
    int js_code_;
};

/// An optimistic write lost a race (wrong last sequence / key exists), or an existing stream or
/// bucket has settings that conflict with the ones asked for.
class Conflict : public Error {
public:
    using Error::Error;
};

/// A job envelope, result or record could not be encoded or decoded. Names the field.
class SerializationError : public Error {
public:
    using Error::Error;
};

/// A name (queue, task, key) or argument that naq cannot accept.
class InvalidArgument : public Error {
public:
    using Error::Error;
};

/// A job ran and failed; carries the error text the handler reported.
class JobFailed : public Error {
public:
    using Error::Error;
};

/// A job was cancelled (by `naq cancel` or its timeout) before it finished.
class Cancelled : public Error {
public:
    using Error::Error;
};

}  // namespace naq
