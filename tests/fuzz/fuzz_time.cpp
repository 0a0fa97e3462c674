// Durations ("90s", "1.5h") and ISO 8601 times, as flags, config values and `--at` take them.
#include "fuzz/fuzz_target.hpp"
#include "naq/durations.hpp"
#include "naq/errors.hpp"
#include "naq/schedule.hpp"

using naq::fuzz::fuzz_check;

NAQ_FUZZ_TARGET(time) {
    const auto text = naq::fuzz::text_of(data, size);
    if (auto d = naq::parse_duration(text); d && d->count() >= 0) {
        fuzz_check(naq::parse_duration(naq::format_duration(*d)) == d, "duration round trip");
    }
    try {
        (void)naq::parse_iso8601(text);
    } catch (const naq::Error&) {}
    return 0;
}
