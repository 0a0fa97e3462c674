// Text forms of config values: durations ("30s", "250ms", "7d", or a number of seconds),
// booleans, integers and comma-separated lists. Shared by the YAML file, NAQ_* environment
// and --set flags, so that every source accepts exactly the same spellings.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "naq/config.hpp"

namespace naq::config_detail {

/// `text` without leading and trailing blanks.
std::string_view trim(std::string_view text);

/// A duration: a plain number is seconds and may be fractional ("0.5"); otherwise a number
/// followed by one unit of ms, s, m, h or d ("250ms", "1.5h", "7d"). Must come to a whole
/// number of milliseconds and not be negative. nullopt when `text` is none of these.
std::optional<Millis> parse_duration(std::string_view text);

/// The shortest exact spelling of `value` in the largest unit that divides it: "7d", "90s",
/// "1500ms", "0s". parse_duration(format_duration(d)) == d for every d >= 0.
std::string format_duration(Millis value);

/// true/false/yes/no/1/0, any letter case.
std::optional<bool> parse_bool(std::string_view text);

/// A decimal integer, optionally negative, nothing else around it but blanks.
std::optional<int64_t> parse_integer(std::string_view text);

/// Splits on commas, trims every item and drops empty ones: " a, b,," -> {"a", "b"}.
std::vector<std::string> split_list(std::string_view text);

/// Joins with "," (the inverse of split_list for items without commas).
std::string join_list(const std::vector<std::string>& items);

/// `text` in lower case (ASCII).
std::string to_lower(std::string_view text);

}  // namespace naq::config_detail
