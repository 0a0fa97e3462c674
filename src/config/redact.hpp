// Credentials never reach a terminal or a log: URLs may carry them (nats://alice:S3cret@host,
// nats://TOKEN@host), and naq prints server URLs in `config show`, errors and connection logs.
// Private to naq (config and the modules above it).
#pragma once

#include <string>
#include <string_view>

namespace naq::detail {

/// `text` with the user info of every URL in it hidden: "nats://alice:***@host:4222",
/// "nats://***@host" for a token, "alice:***@host" without a scheme. Text without an '@'
/// comes back unchanged.
std::string redact_url_credentials(std::string_view text);

}  // namespace naq::detail
