// A cron expression and its next fire times. The first line is the expression; a second line,
// when present, is the time zone.
#include <chrono>
#include <string>

#include "fuzz/fuzz_target.hpp"
#include "naq/cron.hpp"
#include "naq/errors.hpp"

NAQ_FUZZ_TARGET(cron) {
    std::string_view text = naq::fuzz::text_of(data, size);
    std::string zone;
    if (auto nl = text.find('\n'); nl != std::string_view::npos) {
        zone = std::string(text.substr(nl + 1));
        text = text.substr(0, nl);
    }
    try {
        auto cron = naq::CronExpression::parse(text);
        auto t = std::chrono::system_clock::time_point(std::chrono::milliseconds(1'764'000'000'000));
        for (int i = 0; i < 3; ++i) {
            auto next = cron.next_after(t, zone);
            if (!next) break;
            naq::fuzz::fuzz_check(*next > t, "cron next_after moves forward");
            t = *next;
        }
    } catch (const naq::Error&) {}
    return 0;
}
