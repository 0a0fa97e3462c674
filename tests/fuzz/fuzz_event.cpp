// An event, and a message of the events stream (one event or a batch of them).
#include "fuzz/fuzz_target.hpp"
#include "naq/errors.hpp"
#include "naq/event.hpp"

using naq::fuzz::fuzz_check;

NAQ_FUZZ_TARGET(event) {
    const auto text = naq::fuzz::text_of(data, size);
    try {
        naq::Event e = naq::decode_event(text);
        naq::Event again = naq::decode_event(naq::encode_event(e));
        fuzz_check(again.type == e.type && again.job_id == e.job_id, "event round trip");
    } catch (const naq::Error&) {}
    try {
        (void)naq::decode_event_message(text);
    } catch (const naq::Error&) {}
    return 0;
}
