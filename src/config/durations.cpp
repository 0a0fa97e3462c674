// Durations as people write them ("30s", "250ms", "7d"); see naq/durations.hpp.
#include "naq/durations.hpp"

#include <array>
#include <charconv>
#include <limits>

#include "config/value_parsing.hpp"

namespace naq {

using detail::to_lower;
using detail::trim;

namespace {

struct DurationUnit {
    std::string_view suffix;
    int64_t millis;
};

// Largest first: format_duration picks the first unit that divides the value exactly.
constexpr std::array<DurationUnit, 5> kUnits{{
    {"d", 86'400'000},
    {"h", 3'600'000},
    {"m", 60'000},
    {"s", 1000},
    {"ms", 1},
}};

bool is_digit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

std::optional<Millis> parse_duration(std::string_view text) {
    text = trim(text);
    std::size_t pos = 0;
    while (pos < text.size() && is_digit(text[pos])) ++pos;
    std::string_view whole = text.substr(0, pos);
    std::string_view fraction;
    if (pos < text.size() && text[pos] == '.') {
        std::size_t start = ++pos;
        while (pos < text.size() && is_digit(text[pos])) ++pos;
        fraction = text.substr(start, pos - start);
    }
    if (whole.empty() && fraction.empty()) return std::nullopt;

    const std::string unit = to_lower(trim(text.substr(pos)));
    int64_t unit_millis = 1000;  // a bare number is seconds
    if (!unit.empty()) {
        unit_millis = 0;
        for (const auto& u : kUnits) {
            if (unit == u.suffix) unit_millis = u.millis;
        }
        if (unit_millis == 0) return std::nullopt;
    }

    // Integer arithmetic throughout, so "0.1" is exactly 100 ms and "0.0005" is refused.
    int64_t whole_value = 0;
    if (!whole.empty()) {
        auto [end, ec] = std::from_chars(whole.data(), whole.data() + whole.size(), whole_value);
        if (ec != std::errc{} || end != whole.data() + whole.size()) return std::nullopt;
    }
    if (whole_value > std::numeric_limits<int64_t>::max() / unit_millis) return std::nullopt;
    int64_t millis = whole_value * unit_millis;

    while (!fraction.empty() && fraction.back() == '0') fraction.remove_suffix(1);
    if (!fraction.empty()) {
        if (fraction.size() > 10) return std::nullopt;  // finer than any unit can make whole ms
        int64_t numerator = 0;
        int64_t denominator = 1;
        for (char c : fraction) {
            numerator = numerator * 10 + (c - '0');
            denominator *= 10;
        }
        const int64_t scaled = numerator * unit_millis;  // <= 1e10 * 8.64e7, fits
        if (scaled % denominator != 0) return std::nullopt;
        if (millis > std::numeric_limits<int64_t>::max() - scaled / denominator) return std::nullopt;
        millis += scaled / denominator;
    }
    return Millis{millis};
}

std::string format_duration(Millis value) {
    int64_t millis = value.count();
    if (millis == 0) return "0s";
    std::string sign;
    if (millis < 0) {
        if (millis == std::numeric_limits<int64_t>::min()) return std::to_string(millis) + "ms";
        sign = "-";
        millis = -millis;
    }
    for (const auto& u : kUnits) {
        if (millis % u.millis == 0) return sign + std::to_string(millis / u.millis) + std::string(u.suffix);
    }
    return sign + std::to_string(millis) + "ms";  // unreachable: ms divides everything
}

}  // namespace naq
