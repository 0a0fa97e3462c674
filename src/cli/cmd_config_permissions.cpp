// `naq config permissions --role ROLE [--queue Q]...`: the NATS permissions a least-privilege
// user of that role needs, as a nats-server `permissions` block (or JSON with --json, e.g. for
// user JWTs). docs/security.md explains the roles.
#include <nlohmann/json.hpp>

#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "cli.hpp"
#include "core/role_permissions.hpp"
#include "naq/errors.hpp"
#include "naq/names.hpp"

namespace naq::cli {

namespace {

struct PermissionsOptions {
    std::string role;
    std::vector<std::string> queues;
};

int print_permissions(Globals& globals, const PermissionsOptions& o) {
    const auto role = detail::role_from_string(o.role);
    if (!role) {
        throw InvalidArgument("--role: '" + o.role + "' is not a role (producer, worker, scheduler, operator, admin)");
    }
    if (*role == detail::Role::admin && !o.queues.empty()) {
        throw InvalidArgument("--role admin covers every queue of the prefix: drop --queue");
    }
    for (const auto& q : o.queues) names::check_token(q, "--queue");
    const Config config = globals.load_config();
    const detail::SubjectPermissions p = detail::role_permissions(config, *role, o.queues);
    if (globals.json) {
        std::cout << nlohmann::json{{"publish", {{"allow", p.publish}}}, {"subscribe", {{"allow", p.subscribe}}}}.dump(
                         2)
                  << "\n";
    } else {
        std::cout << "# naq role '" << o.role << "', prefix '" << config.jetstream.prefix
                  << "', queues: " << (o.queues.empty() ? std::string("all") : nlohmann::json(o.queues).dump()) << "\n"
                  << detail::to_server_config(p);
    }
    return kOk;
}

}  // namespace

void add_config_permissions_command(CLI::App& config, Globals& globals, int& exit_code) {
    auto options = std::make_shared<PermissionsOptions>();
    CLI::App* cmd = config.add_subcommand(
        "permissions", "the NATS permissions a least-privilege user of a role needs (nats-server config block)");
    cmd->add_option("--role", options->role,
                    "producer, worker, scheduler, operator (read-only) or admin (all of the prefix)")
        ->required();
    cmd->add_option("-q,--queue", options->queues, "only these queues (repeatable; default: every queue)");
    cmd->callback([&globals, &exit_code, options] {
        exit_code = run_guarded([&] { return print_permissions(globals, *options); });
    });
}

}  // namespace naq::cli
