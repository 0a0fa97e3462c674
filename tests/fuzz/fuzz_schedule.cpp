// The schedule record (bucket naq_scheduled_jobs): what a scheduler reads on every change.
#include "fuzz/fuzz_target.hpp"
#include "naq/errors.hpp"
#include "naq/schedule.hpp"

using naq::fuzz::fuzz_check;

NAQ_FUZZ_TARGET(schedule) {
    try {
        naq::Schedule s = naq::codec::decode_schedule(naq::fuzz::text_of(data, size));
        naq::Schedule again = naq::codec::decode_schedule(naq::codec::encode(s));
        fuzz_check(again.id == s.id && again.kind == s.kind, "schedule round trip");
        (void)naq::next_run_after(s, s.next_run_ms);
    } catch (const naq::Error&) {}
    return 0;
}
