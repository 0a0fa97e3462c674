// `naq config show | validate | keys`: print the effective settings with where each came
// from, check a config file, list every key with its env var. (`permissions`:
// cmd_config_permissions.cpp.)
#include <nlohmann/json.hpp>

#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "cli.hpp"
#include "naq/config.hpp"
#include "naq/errors.hpp"

namespace naq::cli {

namespace {

/// Passwords and tokens never reach the terminal.
std::string shown_value(const ConfigEntry& entry) { return entry.secret && !entry.value.empty() ? "***" : entry.value; }

std::vector<std::string> split_commas(const std::string& text) {
    std::vector<std::string> items;
    std::size_t start = 0;
    while (start <= text.size()) {
        const auto comma = text.find(',', start);
        const auto end = comma == std::string::npos ? text.size() : comma;
        if (end > start) items.push_back(text.substr(start, end - start));
        if (comma == std::string::npos) break;
        start = comma + 1;
    }
    return items;
}

/// The value as a JSON value of its own type: integers as numbers, bools as bools, lists as arrays.
nlohmann::ordered_json json_value(const ConfigEntry& entry) {
    const std::string value = shown_value(entry);
    if (entry.type == "integer") return std::stoll(value);
    if (entry.type == "bool") return value == "true";
    if (entry.type == "list") return split_commas(value);
    return value;
}

std::string env_names(const ConfigEntry& entry) {
    std::string names = entry.env;
    for (const auto& alias : entry.env_aliases) names += ", " + alias;
    return names;
}

/// True when `entry` is selected by the user's filters (a whole key, or a section name).
bool selected(const ConfigEntry& entry, const std::vector<std::string>& filters) {
    if (filters.empty()) return true;
    for (const auto& filter : filters) {
        if (entry.key == filter || entry.key.starts_with(filter + ".")) return true;
    }
    return false;
}

struct ShowOptions {
    bool env = false;
    std::vector<std::string> keys;
};

int show(const Globals& globals, const ShowOptions& options) {
    const Config config = globals.load_config();
    std::vector<ConfigEntry> entries;
    for (auto& entry : describe(config)) {
        if (selected(entry, options.keys)) entries.push_back(std::move(entry));
    }
    if (entries.empty()) throw InvalidArgument("no config key or section matches the names given");

    if (globals.json) {
        nlohmann::ordered_json out = nlohmann::ordered_json::object();  // keeps file order
        for (const auto& entry : entries) {
            nlohmann::ordered_json row = {{"value", json_value(entry)}, {"source", entry.origin}};
            if (options.env) {
                row["env"] = entry.env;
                if (!entry.env_aliases.empty()) row["env_aliases"] = entry.env_aliases;
            }
            out[entry.key] = std::move(row);
        }
        std::cout << out.dump(2) << "\n";
        return kOk;
    }
    std::vector<std::string> header{"KEY", "VALUE", "SOURCE"};
    if (options.env) header.push_back("ENV");
    std::vector<std::vector<std::string>> rows;
    for (const auto& entry : entries) {
        std::vector<std::string> row{entry.key, shown_value(entry), entry.origin};
        if (options.env) row.push_back(env_names(entry));
        rows.push_back(std::move(row));
    }
    print_table(header, rows);
    return kOk;
}

/// `file` alone over the defaults, or with no file the effective config of this command line.
int validate(const Globals& globals, const std::string& file) {
    const std::string name = file.empty() ? "config" : file;
    try {
        if (file.empty()) {
            globals.load_config();
        } else {
            Config::from_file(file).validate();
        }
    } catch (const ConfigError& e) {
        if (!globals.json) throw;  // run_guarded prints it and exits 2
        std::cout << nlohmann::json{{"file", name}, {"ok", false}, {"error", e.what()}}.dump() << "\n";
        return kUsage;
    }
    if (globals.json) {
        std::cout << nlohmann::json{{"file", name}, {"ok", true}}.dump() << "\n";
    } else {
        std::cout << name << ": ok\n";
    }
    return kOk;
}

/// Every key with its default, env var(s) and meaning; needs no config file.
int keys(const Globals& globals) {
    const auto entries = describe(Config{});
    if (globals.json) {
        nlohmann::ordered_json out = nlohmann::ordered_json::array();
        for (const auto& entry : entries) {
            out.push_back(nlohmann::ordered_json{{"key", entry.key},
                                                 {"type", entry.type},
                                                 {"default", json_value(entry)},
                                                 {"env", entry.env},
                                                 {"env_aliases", entry.env_aliases},
                                                 {"expected", entry.expected},
                                                 {"help", entry.help}});
        }
        std::cout << out.dump(2) << "\n";
        return kOk;
    }
    std::vector<std::vector<std::string>> rows;
    for (const auto& entry : entries) rows.push_back({entry.key, entry.value, env_names(entry), entry.help});
    print_table({"KEY", "DEFAULT", "ENV", "MEANING"}, rows);
    return kOk;
}

}  // namespace

void add_config_commands(CLI::App& app, Globals& globals, int& exit_code) {
    CLI::App* config = app.add_subcommand("config", "show, check and list settings");
    config->require_subcommand(1);

    // Options live as long as the App: the callbacks run after parsing, from main().
    auto show_options = std::make_shared<ShowOptions>();
    CLI::App* show_cmd = config->add_subcommand(
        "show", "effective settings and where each came from (default, file:..., env:..., flag:...)");
    show_cmd->add_flag("--env", show_options->env, "also print the NAQ_* variable of each key");
    show_cmd->add_option("keys", show_options->keys, "only these keys or sections (e.g. worker nats.servers)");
    show_cmd->callback([&globals, &exit_code, show_options] {
        exit_code = run_guarded([&] { return show(globals, *show_options); });
    });

    auto file = std::make_shared<std::string>();
    CLI::App* validate_cmd = config->add_subcommand(
        "validate", "check FILE over the defaults (exit 2 on error); without FILE, the effective config");
    validate_cmd->add_option("file", *file, "YAML config file");
    validate_cmd->callback(
        [&globals, &exit_code, file] { exit_code = run_guarded([&] { return validate(globals, *file); }); });

    CLI::App* keys_cmd = config->add_subcommand("keys", "every key with its default, NAQ_* variable and meaning");
    keys_cmd->callback([&globals, &exit_code] { exit_code = run_guarded([&] { return keys(globals); }); });
    add_config_permissions_command(*config, globals, exit_code);
}

}  // namespace naq::cli
