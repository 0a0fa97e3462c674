// The record of a batch with a completion callback (bucket naq_batches), which workers rewrite.
#include "fuzz/fuzz_target.hpp"
#include "naq/batch.hpp"
#include "naq/errors.hpp"

using naq::fuzz::fuzz_check;

NAQ_FUZZ_TARGET(batch_state) {
    try {
        naq::BatchState batch = naq::decode_batch_state(naq::fuzz::text_of(data, size));
        // Count a job as a worker would: its bit, once.
        const uint32_t index = batch.total == 0 ? 0 : static_cast<uint32_t>(size) % batch.total;
        const bool first = batch.mark(index);
        fuzz_check(!first || batch.counted(index), "a marked job counts");
        fuzz_check(!batch.mark(index), "a job counts once");
        naq::BatchState again = naq::decode_batch_state(naq::encode(batch));
        fuzz_check(again.total == batch.total && again.done == batch.done, "batch round trip");
        (void)batch.complete();
    } catch (const naq::Error&) {}
    return 0;
}
