// The job envelope (a queue message, from any producer) and the job record.
#include "fuzz/fuzz_target.hpp"
#include "naq/codec.hpp"
#include "naq/errors.hpp"

using naq::fuzz::fuzz_check;

NAQ_FUZZ_TARGET(job) {
    const auto text = naq::fuzz::text_of(data, size);
    naq::Job job;
    try {
        job = naq::codec::decode_job(text, "fuzz");
    } catch (const naq::Error&) {
        return 0;
    }
    // The decoder checks the args without building them; a handler parses them later with
    // nlohmann, which must accept whatever the decoder let through.
    bool args_parse = true;
    try {
        (void)job.args.json();
    } catch (const naq::Error&) {
        args_parse = false;
    }
    fuzz_check(args_parse, "args the decoder accepted do not parse");
    // What a worker accepted, it can write again and read back the same.
    naq::Job again = naq::codec::decode_job(naq::codec::encode(job), "fuzz");
    fuzz_check(again.id == job.id && again.task == job.task && again.queue == job.queue, "job round trip");
    fuzz_check(again.depends_on == job.depends_on && again.max_attempts == job.max_attempts, "job options");
    fuzz_check(again.args.text() == job.args.text(), "args kept byte for byte");
    return 0;
}
