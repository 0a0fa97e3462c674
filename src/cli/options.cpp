// Checks shared by every command's options (see cli.hpp): one duration spelling with range
// checks, no silently empty values, a bounded argument file.
#include <fstream>
#include <sstream>

#include "cli.hpp"
#include "naq/durations.hpp"
#include "naq/errors.hpp"

namespace naq::cli {

namespace {

// NATS servers accept at most 64 MiB per message (max_payload's ceiling): a bigger argument
// file can never be a job, and reading /dev/zero must stop somewhere.
constexpr std::size_t kMaxArgsFileBytes = 64u << 20;

}  // namespace

CLI::Validator non_empty() {
    return CLI::Validator([](std::string& value) { return value.empty() ? std::string("must not be empty") : ""; },
                          "NOT EMPTY");
}

CLI::Validator duration_within(Millis min, Millis max) {
    const std::string range = format_duration(min) + " to " + format_duration(max);
    return CLI::Validator(
        [min, max, range](std::string& value) -> std::string {
            auto d = parse_duration(value);
            if (!d) return "'" + value + "' is not a duration (seconds, or a number with ms, s, m, h or d)";
            if (*d < min || *d > max) return "'" + value + "' is outside " + range;
            return "";
        },
        "DURATION " + range);
}

Millis duration_flag(const std::string& flag, const std::string& text) {
    auto d = parse_duration(text);
    if (!d) throw InvalidArgument(flag + ": '" + text + "' is not a duration (e.g. 30s, 10m, 1.5h, 250ms)");
    return *d;
}

std::string read_args_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw InvalidArgument("--args-file " + path + ": cannot read");
    std::string text(kMaxArgsFileBytes + 1, '\0');
    in.read(text.data(), static_cast<std::streamsize>(text.size()));
    text.resize(static_cast<std::size_t>(in.gcount()));
    if (text.size() > kMaxArgsFileBytes) {
        throw InvalidArgument("--args-file " + path + ": over 64 MiB, more than any NATS server takes in a message");
    }
    return text;
}

}  // namespace naq::cli
