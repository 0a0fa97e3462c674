// Text forms of config values: booleans, integers and comma-separated lists (durations are in
// naq/durations.hpp). Shared by the YAML file, NAQ_* environment and --set flags, so that every
// source accepts exactly the same spellings.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "naq/config.hpp"
#include "naq/durations.hpp"

namespace naq::detail {

/// `text` without leading and trailing blanks.
std::string_view trim(std::string_view text);

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

}  // namespace naq::detail
