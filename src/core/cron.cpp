// Cron expression parser. The grammar is Vixie cron's (fields of lists of values, ranges and
// steps; month and weekday names; @macros) plus an optional leading seconds field.
// Next-fire-time calculation lives in cron_next.cpp, time zone rules in cron_zone.cpp.
#include "naq/cron.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "naq/errors.hpp"

namespace naq {
namespace {

constexpr std::array<std::string_view, 12> month_names{"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                                       "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
constexpr std::array<std::string_view, 7> weekday_names{"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"};

struct FieldSpec {
    std::string_view name;  // as it appears in error messages
    int min;
    int max;
    std::span<const std::string_view> names;    // names[i] stands for value min + i; empty = none
    std::string_view what;                      // "a month (1-12 or JAN-DEC)" for "not a ..." errors
    bool sunday_is_seven_at_range_end = false;  // day-of-week: "FRI-SUN" is 5-7
};

constexpr FieldSpec second_field{"second", 0, 59, {}, "a number"};
constexpr FieldSpec minute_field{"minute", 0, 59, {}, "a number"};
constexpr FieldSpec hour_field{"hour", 0, 23, {}, "a number"};
constexpr FieldSpec day_of_month_field{"day-of-month", 1, 31, {}, "a number"};
constexpr FieldSpec month_field{"month", 1, 12, month_names, "a month (1-12 or JAN-DEC)"};
// 7 is Sunday too, as in Vixie cron; it is folded onto 0 after parsing.
constexpr FieldSpec day_of_week_field{"day-of-week", 0, 7, weekday_names, "a day of the week (0-7 or SUN-SAT)", true};

struct Macro {
    std::string_view name;
    std::string_view fields;
};

constexpr std::array<Macro, 7> macros{{
    {"@yearly", "0 0 1 1 *"},
    {"@annually", "0 0 1 1 *"},
    {"@monthly", "0 0 1 * *"},
    {"@weekly", "0 0 * * 0"},
    {"@daily", "0 0 * * *"},
    {"@midnight", "0 0 * * *"},
    {"@hourly", "0 * * * *"},
}};

bool is_space(char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; }

std::string_view trim(std::string_view text) {
    while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
    while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
    return text;
}

std::vector<std::string_view> split_fields(std::string_view text) {
    std::vector<std::string_view> fields;
    std::size_t pos = 0;
    while (pos < text.size()) {
        while (pos < text.size() && is_space(text[pos])) ++pos;
        const std::size_t start = pos;
        while (pos < text.size() && !is_space(text[pos])) ++pos;
        if (pos > start) fields.push_back(text.substr(start, pos - start));
    }
    return fields;
}

bool iequals(std::string_view a, std::string_view b) {
    return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
        return std::toupper(static_cast<unsigned char>(x)) == std::toupper(static_cast<unsigned char>(y));
    });
}

bool all_digits(std::string_view text) {
    return !text.empty() && std::all_of(text.begin(), text.end(),
                                        [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; });
}

std::string quoted(std::string_view text) { return "\"" + std::string(text) + "\""; }

/// Builds the messages of one expression's errors: `cron "<expr>": <field>: <problem>`.
class ErrorReporter {
public:
    explicit ErrorReporter(std::string_view expr) : expr_(expr) {}

    [[noreturn]] void fail(std::string_view problem) const {
        throw InvalidArgument("cron " + quoted(expr_) + ": " + std::string(problem));
    }
    [[noreturn]] void fail(const FieldSpec& field, std::string_view problem) const {
        fail(std::string(field.name) + ": " + std::string(problem));
    }

private:
    std::string_view expr_;
};

/// Parses one field, e.g. "1-5,10/15,JAN", into a bit set of allowed values.
class FieldParser {
public:
    FieldParser(const FieldSpec& field, const ErrorReporter& errors) : field_(field), errors_(errors) {}

    std::uint64_t parse(std::string_view text) const {
        std::uint64_t bits = 0;
        std::size_t start = 0;
        while (true) {
            const std::size_t comma = text.find(',', start);
            const std::string_view item =
                text.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
            if (item.empty()) errors_.fail(field_, "empty list item in " + quoted(text));
            bits |= parse_item(item);
            if (comma == std::string_view::npos) break;
            start = comma + 1;
        }
        return bits;
    }

private:
    const FieldSpec& field_;
    const ErrorReporter& errors_;

    /// One list item: "*", "v", "a-b", each optionally followed by "/step".
    std::uint64_t parse_item(std::string_view item) const {
        const std::size_t slash = item.find('/');
        const std::string_view base = item.substr(0, slash);
        const bool has_step = slash != std::string_view::npos;
        int step = 1;
        if (has_step) step = parse_step(item, item.substr(slash + 1));
        if (base.empty()) errors_.fail(field_, "missing value before '/' in " + quoted(item));

        int first = field_.min;
        int last = field_.max;
        if (base != "*") {
            const std::size_t dash = base.find('-');
            if (dash == std::string_view::npos) {
                first = parse_value(base);
                // "a/n" means a through the field's maximum, every n.
                last = has_step ? field_.max : first;
            } else {
                const std::string_view first_text = base.substr(0, dash);
                const std::string_view last_text = base.substr(dash + 1);
                if (first_text.empty() || last_text.empty()) {
                    errors_.fail(field_, "incomplete range " + quoted(base));
                }
                first = parse_value(first_text);
                last = parse_value(last_text);
                // "FRI-SUN" reads naturally as Friday through Sunday: SUN at a range's end is 7.
                if (field_.sunday_is_seven_at_range_end && first > 0 && last == 0 && !all_digits(last_text)) {
                    last = 7;
                }
                if (first > last) {
                    errors_.fail(field_,
                                 "range " + std::string(base) + " is reversed (the start must not exceed the end)");
                }
            }
        }
        std::uint64_t bits = 0;
        for (int value = first; value <= last; value += step) bits |= std::uint64_t{1} << value;
        return bits;
    }

    int parse_step(std::string_view item, std::string_view text) const {
        const int span = field_.max - field_.min + 1;
        if (text.empty()) errors_.fail(field_, "missing step after '/' in " + quoted(item));
        if (!all_digits(text)) {
            errors_.fail(field_, "step " + quoted(text) + " in " + quoted(item) + " is not a number");
        }
        int step = 0;
        const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), step);
        if (ec != std::errc{} || step > span) {
            errors_.fail(field_, "step " + std::string(text) + " in " + quoted(item) + " is out of range 1-" +
                                     std::to_string(span));
        }
        if (step == 0) {
            errors_.fail(field_, "step 0 in " + quoted(item) + " must be at least 1");
        }
        return step;
    }

    int parse_value(std::string_view text) const {
        if (all_digits(text)) {
            int value = 0;
            const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
            if (ec != std::errc{} || value < field_.min || value > field_.max) {
                errors_.fail(field_, std::string(text) + " is out of range " + std::to_string(field_.min) + "-" +
                                         std::to_string(field_.max));
            }
            return value;
        }
        for (std::size_t i = 0; i < field_.names.size(); ++i) {
            if (iequals(text, field_.names[i])) {
                return field_.min + static_cast<int>(i);
            }
        }
        errors_.fail(field_, quoted(text) + " is not " + std::string(field_.what));
    }
};

std::string_view expand_macro(std::string_view expr, const ErrorReporter& errors) {
    if (split_fields(expr).size() != 1) {
        errors.fail("a macro must be the whole expression");
    }
    if (iequals(expr, "@reboot")) {
        errors.fail("@reboot is not supported: the scheduler fires at times, not at startup");
    }
    for (const Macro& macro : macros) {
        if (iequals(expr, macro.name)) return macro.fields;
    }
    errors.fail("unknown macro " + quoted(expr) +
                " (expected @yearly, @annually, @monthly, @weekly, @daily, @midnight or @hourly)");
}

}  // namespace

CronExpression CronExpression::parse(std::string_view expr) {
    const std::string_view text = trim(expr);
    const ErrorReporter errors(text);
    if (text.empty()) errors.fail("the expression is empty");

    const std::string_view spelled = text.front() == '@' ? expand_macro(text, errors) : text;
    const std::vector<std::string_view> fields = split_fields(spelled);
    if (fields.size() != 5 && fields.size() != 6) {
        errors.fail(
            "expected 5 fields (minute hour day-of-month month day-of-week) or 6 "
            "(second first), got " +
            std::to_string(fields.size()));
    }

    CronExpression cron;
    cron.text_ = std::string(text);
    cron.has_seconds_ = fields.size() == 6;
    const std::size_t first = cron.has_seconds_ ? 1 : 0;
    const auto parse_field = [&](const FieldSpec& spec, std::string_view field) {
        return FieldParser(spec, errors).parse(field);
    };
    cron.seconds_ = cron.has_seconds_ ? parse_field(second_field, fields[0]) : 1;
    cron.minutes_ = parse_field(minute_field, fields[first]);
    cron.hours_ = static_cast<std::uint32_t>(parse_field(hour_field, fields[first + 1]));
    cron.days_of_month_ = static_cast<std::uint32_t>(parse_field(day_of_month_field, fields[first + 2]));
    cron.months_ = static_cast<std::uint16_t>(parse_field(month_field, fields[first + 3]));
    std::uint64_t weekdays = parse_field(day_of_week_field, fields[first + 4]);
    if (weekdays & (std::uint64_t{1} << 7)) weekdays |= 1;  // 7 is Sunday
    cron.days_of_week_ = static_cast<std::uint8_t>(weekdays & 0x7f);
    cron.day_of_month_star_ = fields[first + 2].front() == '*';
    cron.day_of_week_star_ = fields[first + 4].front() == '*';
    return cron;
}

}  // namespace naq
