// Durations as people write them: "30s", "250ms", "1.5h", "7d", or a number of seconds. The one
// spelling shared by the YAML file, NAQ_* environment, --set flags and every CLI option.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "naq/config.hpp"

namespace naq {

/// A duration: a plain number is seconds and may be fractional ("0.5"); otherwise a number
/// followed by one unit of ms, s, m, h or d ("250ms", "1.5h", "7d"). Must come to a whole
/// number of milliseconds and not be negative. nullopt when `text` is none of these.
std::optional<Millis> parse_duration(std::string_view text);

/// The shortest exact spelling of `value` in the largest unit that divides it: "7d", "90s",
/// "1500ms", "0s". parse_duration(format_duration(d)) == d for every d >= 0.
std::string format_duration(Millis value);

}  // namespace naq
