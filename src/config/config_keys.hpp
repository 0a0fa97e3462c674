// The table of config keys. One descriptor per field of every settings struct in
// naq/config.hpp drives YAML loading, NAQ_* environment loading, Config::set(),
// Config::validate() and describe(), so a new setting is added in exactly one place.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "naq/config.hpp"

namespace naq::detail {

struct KeyDescriptor {
    std::string key;                       ///< "worker.concurrency": section.field
    std::string env;                       ///< "NAQ_WORKER_CONCURRENCY"
    std::vector<std::string> env_aliases;  ///< the Python naq's names, read before `env`
    /// Earlier dotted names of this key ("results.result_ttl"), accepted with a warning in files,
    /// flags and as NAQ_<SECTION>_<FIELD> variables.
    std::vector<std::string> renamed_from;
    std::string type;      ///< integer | duration | bool | string | list | choice
    std::string expected;  ///< "an integer from 1 to 4096": for errors and docs
    std::string help;      ///< one line
    bool is_list = false;  ///< a YAML sequence is accepted
    bool secret = false;   ///< shown as *** by `naq config show`
    /// Stores `text` in the field when acceptable; false (field untouched) when not.
    std::function<bool(Config&, std::string_view text)> parse;
    /// The field as text that `parse` accepts back.
    std::function<std::string(const Config&)> format;
};

/// Every key, in file order (the order of config/naq.yaml and of the structs).
const std::vector<KeyDescriptor>& config_keys();

/// The descriptor of a dotted key, nullptr when there is none.
const KeyDescriptor* find_config_key(std::string_view key);

/// The descriptor of a key that `old_key` was renamed to, nullptr when it was not.
const KeyDescriptor* find_renamed_key(std::string_view old_key);

/// "NAQ_RESULTS_RESULT_TTL" for "results.result_ttl".
std::string env_name(std::string_view key);

/// Section names in file order: nats, jetstream, queue, ...
const std::vector<std::string>& config_sections();

/// The known name closest to `name` (for "did you mean"), empty when nothing is close.
std::string closest_name(std::string_view name, const std::vector<std::string>& known);

/// Every dotted key, in file order.
std::vector<std::string> config_key_names();

/// How an origin reads at the front of an error message:
/// "file:naq.yaml" -> "naq.yaml", "env:NAQ_X" -> "env NAQ_X", "flag:--set" -> "flag --set".
std::string where_from_origin(const std::string& origin);

/// `text` quoted for an error message, cut short when long.
std::string quoted(std::string_view text);

/// Throws ConfigError "<where>: <key>: expected <d.expected>, got <text>"; `where` may be empty.
[[noreturn]] void throw_bad_value(const std::string& where, const KeyDescriptor& d, std::string_view text);

}  // namespace naq::detail
