// The NATS subjects each naq role needs, for least-privilege users: what
// `naq config permissions --role` prints. Derived from the names of core/names, so a prefix
// or queue change follows. Private to libnaq and the CLI.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "naq/config.hpp"

namespace naq::detail {

/// producer: enqueue (also --wait), read job records and results, cancel;
/// worker: serve queues (consume, ack, dead-letter, records, heartbeats, events, cancels);
/// scheduler: store and fire schedules, hold the leader lease;
/// operator: read-only views (queues, workers, jobs, results, dead letters, schedules, events);
/// admin: everything of its prefix (purge, dead requeue / purge, queue pause / limit, schedule
/// modify, and all of the above), nothing of another prefix.
enum class Role { producer, worker, scheduler, operator_, admin };

std::optional<Role> role_from_string(std::string_view name);

/// A nats-server `permissions` block: what a user may publish to and subscribe to.
struct SubjectPermissions {
    std::vector<std::string> publish;
    std::vector<std::string> subscribe;
};

/// The subjects `role` needs for `queues` (empty = every queue; admin is always every queue).
SubjectPermissions role_permissions(const Config& config, Role role, const std::vector<std::string>& queues);

/// `permissions: { publish: { allow: [...] }, subscribe: { allow: [...] } }` in nats-server
/// configuration syntax, to paste into an `authorization { users = [...] }` entry.
std::string to_server_config(const SubjectPermissions& permissions);

}  // namespace naq::detail
