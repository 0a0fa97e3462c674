// Local files the connection needs (password and token files, creds, TLS certificates and keys):
// checked before connecting, so a missing or unreadable file is a configuration error that names
// the setting and the file (exit 2), not "cannot reach NATS". Private to src/connection.
#pragma once

#include <string>

namespace naq::detail {

/// Throws ConfigError "<setting>: <path>: cannot read (<why>)" unless `path` is a readable
/// regular file. When `secret`, warns (once per path) if group or others may read it.
void check_local_file(const std::string& setting, const std::string& path, bool secret);

/// The contents of a password or token file, without trailing whitespace (the newline editors
/// add). Throws ConfigError naming the setting when it is unreadable or empty.
std::string read_secret_file(const std::string& setting, const std::string& path);

/// The public key of the nkey seed in a seed file (the seed alone, as `nk -gen user` writes it,
/// or among other text). Throws ConfigError naming the setting and file, never the seed.
std::string nkey_public_key(const std::string& setting, const std::string& path);

}  // namespace naq::detail
