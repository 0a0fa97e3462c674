// The job record (bucket naq_job_status) and its result view.
#include "fuzz/fuzz_target.hpp"
#include "naq/codec.hpp"
#include "naq/errors.hpp"

using naq::fuzz::fuzz_check;

NAQ_FUZZ_TARGET(status) {
    const auto text = naq::fuzz::text_of(data, size);
    try {
        naq::JobStatus status = naq::codec::decode_status(text);
        naq::JobStatus again = naq::codec::decode_status(naq::codec::encode(status));
        fuzz_check(again.id == status.id && again.state == status.state, "status round trip");
        fuzz_check(again.errors.size() == status.errors.size(), "status errors round trip");
        (void)naq::result_of(status);
    } catch (const naq::Error&) {}
    try {
        (void)naq::codec::decode_result(text);
    } catch (const naq::Error&) {}
    return 0;
}
