// Looking keys up in the table of config_keys.cpp, and the names and texts of config errors.
#include <algorithm>
#include <cctype>
#include <string>
#include <string_view>
#include <vector>

#include "config/config_keys.hpp"
#include "config/redact.hpp"
#include "config/value_parsing.hpp"
#include "naq/errors.hpp"

namespace naq::detail {

const KeyDescriptor* find_config_key(std::string_view key) {
    for (const auto& d : config_keys()) {
        if (d.key == key) return &d;
    }
    return nullptr;
}

const KeyDescriptor* find_renamed_key(std::string_view old_key) {
    for (const auto& d : config_keys()) {
        for (const auto& old : d.renamed_from) {
            if (old == old_key) return &d;
        }
    }
    return nullptr;
}

std::string env_name(std::string_view key) {
    std::string env = "NAQ_";
    for (char c : key) env += c == '.' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return env;
}

const std::vector<std::string>& config_sections() {
    static const std::vector<std::string> sections = [] {
        std::vector<std::string> names;
        for (const auto& d : config_keys()) {
            std::string section = d.key.substr(0, d.key.find('.'));
            if (std::find(names.begin(), names.end(), section) == names.end()) names.push_back(section);
        }
        return names;
    }();
    return sections;
}

std::vector<std::string> config_key_names() {
    std::vector<std::string> names;
    for (const auto& d : config_keys()) names.push_back(d.key);
    return names;
}

std::string closest_name(std::string_view name, const std::vector<std::string>& known) {
    // Edit distance; a suggestion only when it is a plausible typo.
    auto distance = [](std::string_view a, std::string_view b) {
        std::vector<std::size_t> previous(b.size() + 1), current(b.size() + 1);
        for (std::size_t j = 0; j <= b.size(); ++j) previous[j] = j;
        for (std::size_t i = 1; i <= a.size(); ++i) {
            current[0] = i;
            for (std::size_t j = 1; j <= b.size(); ++j) {
                const std::size_t substitute = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
                current[j] = std::min({previous[j] + 1, current[j - 1] + 1, substitute});
            }
            std::swap(previous, current);
        }
        return previous[b.size()];
    };
    // A known name that starts with what was typed ("worker.conc") is the likeliest meaning.
    for (const auto& candidate : known) {
        if (name.size() >= 3 && candidate.starts_with(name)) return candidate;
    }
    std::string best;
    std::size_t best_distance = std::max<std::size_t>(2, name.size() / 4) + 1;
    for (const auto& candidate : known) {
        const std::size_t d = distance(name, candidate);
        if (d < best_distance) {
            best_distance = d;
            best = candidate;
        }
    }
    return best;
}

std::string where_from_origin(const std::string& origin) {
    const auto colon = origin.find(':');
    if (colon == std::string::npos) return origin;
    const std::string kind = origin.substr(0, colon);
    const std::string rest = origin.substr(colon + 1);
    if (kind == "file") return rest;
    return kind + " " + rest;
}

std::string quoted(std::string_view text) {
    constexpr std::size_t kLongest = 80;
    std::string out = "\"";
    for (char c : text.substr(0, kLongest)) {
        if (c == '"' || c == '\\') out += '\\';
        if (c == '\n') {
            out += "\\n";
            continue;
        }
        out += c;
    }
    if (text.size() > kLongest) out += "...";
    return out + "\"";
}

void throw_bad_value(const std::string& where, const KeyDescriptor& d, std::string_view text) {
    const std::string got = d.secret ? std::string("***") : redact_url_credentials(quoted(text));
    throw ConfigError((where.empty() ? "" : where + ": ") + d.key + ": expected " + d.expected + ", got " + got);
}

}  // namespace naq::detail
