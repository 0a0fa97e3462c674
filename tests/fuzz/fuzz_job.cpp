// The job envelope (a queue message, from any producer) and the job record.
#include "fuzz/fuzz_target.hpp"
#include "naq/codec.hpp"
#include "naq/errors.hpp"

using naq::fuzz::fuzz_check;

NAQ_FUZZ_TARGET(job) {
    const auto text = naq::fuzz::text_of(data, size);
    try {
        naq::Job job = naq::codec::decode_job(text, "fuzz");
        // What a worker accepted, it can write again and read back the same.
        naq::Job again = naq::codec::decode_job(naq::codec::encode(job), "fuzz");
        fuzz_check(again.id == job.id && again.task == job.task && again.queue == job.queue, "job round trip");
        fuzz_check(again.depends_on == job.depends_on && again.max_attempts == job.max_attempts, "job options");
    } catch (const naq::Error&) {}
    return 0;
}
