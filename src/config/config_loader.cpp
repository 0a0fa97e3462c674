// Loading a Config: defaults < YAML file < NAQ_* environment < Config::set() (CLI flags).
// Every source goes through the same key table, so a value is accepted or refused the same
// way wherever it comes from, and each error names the source, the key and what was expected.
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include "config/config_keys.hpp"
#include "config/value_parsing.hpp"
#include "naq/config.hpp"
#include "naq/errors.hpp"

extern char** environ;  // POSIX: the process's environment

namespace naq {

namespace {

using detail::KeyDescriptor;

/// "naq.yaml:12" for a node that knows its line (yaml-cpp counts from 0), else "naq.yaml".
std::string file_where(const std::string& path, const YAML::Node& node) {
    const YAML::Mark mark = node.Mark();
    if (mark.is_null()) return path;
    return path + ":" + std::to_string(mark.line + 1);
}

std::string did_you_mean(std::string_view name, const std::vector<std::string>& known) {
    const std::string best = detail::closest_name(name, known);
    return best.empty() ? "" : " (did you mean \"" + best + "\"?)";
}

void apply_text(Config& config, const KeyDescriptor& d, std::string_view text, const std::string& origin,
                const std::string& where) {
    if (!d.parse(config, text)) detail::throw_bad_value(where, d, text);
    config.origins[d.key] = origin;
}

/// The descriptor of `key`, or of the key it was renamed to (noting the deprecation in
/// `config.warnings`); nullptr when neither.
const KeyDescriptor* find_key(Config& config, const std::string& key, const std::string& where) {
    if (const KeyDescriptor* d = detail::find_config_key(key)) return d;
    const KeyDescriptor* d = detail::find_renamed_key(key);
    if (d != nullptr) config.warnings.push_back(where + ": " + key + " is deprecated: use " + d->key);
    return d;
}

/// The text form of one YAML value: a scalar as written, a sequence (lists only) joined with
/// commas, an empty value as "". Mappings and misplaced sequences are wrong types.
std::string yaml_value_text(const YAML::Node& value, const KeyDescriptor& d, const std::string& where) {
    if (!value || value.IsNull()) return "";
    if (value.IsScalar()) return value.Scalar();
    if (value.IsSequence() && d.is_list) {
        std::vector<std::string> items;
        for (const auto& item : value) {
            if (!item.IsScalar()) {
                throw ConfigError(where + ": " + d.key + ": expected " + d.expected + ", got a nested " +
                                  (item.IsMap() ? "mapping" : "list") + " in the list");
            }
            items.push_back(item.Scalar());
        }
        return detail::join_list(items);
    }
    throw ConfigError(where + ": " + d.key + ": expected " + d.expected + ", got a " +
                      (value.IsMap() ? "mapping" : "list"));
}

/// Lines yaml-cpp would misread in silence. A quote that opens a value and is not closed on its line. YAML lets a quoted scalar run on,
/// so `name: "abc` quietly swallows the next lines (and their keys) into one value; no naq
/// setting spans lines, so this is always a mistake. Throws ConfigError naming the line.
///
/// Also refuses a second YAML document (a `---` line after content): yaml-cpp would read the
/// first and drop the rest in silence. (Its LoadAll can loop forever on some malformed input.)
void check_lines(const std::string& path, std::istream& in) {
    std::string line;
    bool content = false;
    for (int number = 1; std::getline(in, line); ++number) {
        const bool separator =
            line.rfind("---", 0) == 0 && (line.size() == 3 || std::isspace(static_cast<unsigned char>(line[3])));
        if (separator && content) {
            throw ConfigError(path + ":" + std::to_string(number) +
                              ": a second YAML document starts here (---); naq reads one");
        }
        const auto non_blank = line.find_first_not_of(" \t\r");
        if (!separator && non_blank != std::string::npos && line[non_blank] != '#') content = true;
        const auto colon = line.find(": ");
        const auto first = line.find_first_not_of(" \t");
        if (colon == std::string::npos || first == std::string::npos || line[first] == '#') continue;
        const auto start = line.find_first_not_of(' ', colon + 1);
        if (start == std::string::npos || (line[start] != '"' && line[start] != '\'')) continue;
        const char quote = line[start];
        bool closed = false;
        for (std::size_t i = start + 1; i < line.size() && !closed; ++i) {
            if (quote == '"' && line[i] == '\\') {
                ++i;  // an escaped character, "\"" included
            } else if (line[i] == quote) {
                if (quote == '\'' && i + 1 < line.size() && line[i + 1] == '\'') {
                    ++i;  // '' is a quote inside a single-quoted value
                } else {
                    closed = true;
                }
            }
        }
        if (!closed) {
            throw ConfigError(path + ":" + std::to_string(number) + ": the " + (quote == '"' ? "double" : "single") +
                              " quote of this value is not closed on its line");
        }
    }
}

YAML::Node read_yaml(const std::string& path) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) throw ConfigError(path + ": config file not found");
    if (std::filesystem::is_directory(path, ec)) throw ConfigError(path + ": config file is a directory");
    try {
        std::ifstream in(path);
        if (!in) throw YAML::BadFile(path);
        check_lines(path, in);
        return YAML::LoadFile(path);
    } catch (const YAML::BadFile&) {
        throw ConfigError(path + ": cannot read config file");
    } catch (const YAML::ParserException& e) {
        const std::string where = e.mark.is_null() ? path : path + ":" + std::to_string(e.mark.line + 1);
        throw ConfigError(where + ": malformed YAML: " + e.msg);
    }
}

void apply_yaml_file(Config& config, const std::string& path) {
    const YAML::Node root = read_yaml(path);
    const std::string origin = "file:" + path;
    if (!root || root.IsNull()) return;  // an empty file leaves the defaults
    if (!root.IsMap()) {
        throw ConfigError(file_where(path, root) +
                          ": expected a mapping of sections (nats:, worker:, ...) at the top level");
    }
    const auto& sections = detail::config_sections();
    const auto key_names = detail::config_key_names();
    std::set<std::string> seen;
    for (const auto& section_entry : root) {
        const YAML::Node& section_name = section_entry.first;
        const YAML::Node& section_body = section_entry.second;
        if (!section_name.IsScalar())
            throw ConfigError(file_where(path, section_name) + ": section names must be text");
        const std::string section = section_name.Scalar();
        if (std::find(sections.begin(), sections.end(), section) == sections.end()) {
            throw ConfigError(file_where(path, section_name) + ": unknown section \"" + section + "\"" +
                              did_you_mean(section, sections));
        }
        if (!seen.insert(section).second) {
            throw ConfigError(file_where(path, section_name) + ": section \"" + section + "\" appears twice");
        }
        if (!section_body || section_body.IsNull()) continue;  // "worker:" with nothing under it
        if (!section_body.IsMap()) {
            throw ConfigError(file_where(path, section_body) + ": " + section + ": expected a mapping of " + section +
                              " settings (field: value), got a " + (section_body.IsSequence() ? "list" : "scalar"));
        }
        for (const auto& field_entry : section_body) {
            const YAML::Node& field_name = field_entry.first;
            if (!field_name.IsScalar()) throw ConfigError(file_where(path, field_name) + ": key names must be text");
            const std::string key = section + "." + field_name.Scalar();
            const KeyDescriptor* d = find_key(config, key, file_where(path, field_name));
            if (d == nullptr) {
                throw ConfigError(file_where(path, field_name) + ": unknown key \"" + key + "\"" +
                                  did_you_mean(key, key_names));
            }
            if (!seen.insert(d->key).second) {
                throw ConfigError(file_where(path, field_name) + ": key \"" + d->key + "\" appears twice" +
                                  (d->key == key ? "" : " (\"" + key + "\" is its old name)"));
            }
            const std::string where = file_where(path, field_entry.second.IsNull() ? field_name : field_entry.second);
            apply_text(config, *d, yaml_value_text(field_entry.second, *d, where), origin, where);
        }
    }
}

/// An unset or empty variable counts as absent, so `NAQ_X=` in a compose file changes nothing.
const char* env_value(const std::string& name) {
    const char* value = std::getenv(name.c_str());
    return value != nullptr && *value != '\0' ? value : nullptr;
}

/// NAQ_<SECTION>_… variables that name no setting (a typo such as NAQ_WORKER__CONCURRENCY)
/// would be ignored in silence: each gets a warning instead. Other NAQ_ names belong to tools.
void warn_unknown_settings_in_environment(Config& config) {
    std::set<std::string> known = {"NAQ_CONFIG"};
    std::vector<std::string> settings;
    for (const auto& d : detail::config_keys()) {
        settings.push_back(d.env);
        for (const auto& alias : d.env_aliases) settings.push_back(alias);
        for (const auto& old : d.renamed_from) settings.push_back(detail::env_name(old));
    }
    known.insert(settings.begin(), settings.end());
    for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
        const std::string_view text(*entry);
        const std::string name(text.substr(0, text.find('=')));
        if (name.rfind("NAQ_", 0) != 0 || known.count(name) != 0) continue;
        const bool names_a_section = std::any_of(
            detail::config_sections().begin(), detail::config_sections().end(),
            [&](const std::string& section) { return name.rfind(detail::env_name(section) + "_", 0) == 0; });
        if (names_a_section) {
            config.warnings.push_back("env " + name + " is not a naq setting; it is ignored" +
                                      did_you_mean(name, settings));
        }
    }
}

void apply_environment(Config& config) {
    warn_unknown_settings_in_environment(config);
    for (const auto& d : detail::config_keys()) {
        // The Python naq's name first, so the NAQ_<SECTION>_<FIELD> name wins when both are set.
        for (const auto& alias : d.env_aliases) {
            if (const char* value = env_value(alias)) apply_text(config, d, value, "env:" + alias, "env " + alias);
        }
        for (const auto& old : d.renamed_from) {
            const std::string old_env = detail::env_name(old);
            if (const char* value = env_value(old_env)) {
                config.warnings.push_back("env " + old_env + " is deprecated: use " + d.env);
                apply_text(config, d, value, "env:" + old_env, "env " + old_env);
            }
        }
        if (const char* value = env_value(d.env)) apply_text(config, d, value, "env:" + d.env, "env " + d.env);
    }
}

}  // namespace

Config Config::load(const std::optional<std::string>& path) {
    Config config;
    std::optional<std::string> file = path;
    if (!file) {
        if (const char* from_env = env_value("NAQ_CONFIG")) {
            if (!std::filesystem::exists(from_env)) {
                throw ConfigError(std::string("env NAQ_CONFIG: config file ") + from_env + " not found");
            }
            file = from_env;
        }
    }
    if (!file && std::filesystem::exists("naq.yaml")) file = "naq.yaml";
    if (file) apply_yaml_file(config, *file);
    apply_environment(config);
    config.validate();
    return config;
}

Config Config::from_file(const std::string& path) {
    Config config;
    apply_yaml_file(config, path);
    config.validate();
    return config;
}

void Config::set(const std::string& key, const std::string& value, const std::string& origin) {
    const std::string where = detail::where_from_origin(origin);
    const KeyDescriptor* d = find_key(*this, std::string(detail::trim(key)), where);
    if (d == nullptr) {
        throw ConfigError(where + ": unknown key \"" + key + "\"" + did_you_mean(key, detail::config_key_names()));
    }
    apply_text(*this, *d, value, origin, where);
}

}  // namespace naq
