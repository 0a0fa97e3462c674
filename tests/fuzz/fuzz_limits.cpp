// The records behind queue limits, which every worker of a queue reads and anyone with access
// to the buckets may write: the control record (limits part) and the limits bucket's records.
// The first byte picks the record.
#include "core/limit_records.hpp"
#include "fuzz/fuzz_target.hpp"
#include "naq/errors.hpp"
#include "naq/queue_control.hpp"

using naq::fuzz::fuzz_check;

NAQ_FUZZ_TARGET(limits) {
    if (size == 0) return 0;
    const std::string_view text = naq::fuzz::text_of(data + 1, size - 1);
    try {
        switch (data[0] % 3) {
            case 0: {
                naq::QueueControl control = naq::decode_queue_control(text);
                naq::check_limits(control.limits);  // a decoded record is always in range
                fuzz_check(naq::decode_queue_control(naq::encode(control)).limits == control.limits,
                           "queue control limits round trip");
                break;
            }
            case 1: {
                naq::detail::RateWindow w = naq::detail::decode_rate_window(text);
                naq::detail::RateWindow again = naq::detail::decode_rate_window(naq::detail::encode(w));
                fuzz_check(again.window_ms == w.window_ms && again.used == w.used && w.used >= 0,
                           "rate window round trip");
                break;
            }
            default: {
                naq::detail::RunningHolders r = naq::detail::decode_running_holders(text);
                naq::detail::RunningHolders again = naq::detail::decode_running_holders(naq::detail::encode(r));
                fuzz_check(again.holders.size() == r.holders.size(), "running holders round trip");
                (void)r.held_by_others("", 0);  // sums of any stored counts must not overflow into UB
                break;
            }
        }
    } catch (const naq::Error&) {}
    return 0;
}
