// The shared `queued` record of an enqueue_many batch.
#include "core/enqueue_batch.hpp"
#include "fuzz/fuzz_target.hpp"
#include "naq/errors.hpp"

NAQ_FUZZ_TARGET(batch) {
    try {
        auto manifest = naq::detail::decode_manifest(naq::fuzz::text_of(data, size));
        // Look up a few members, as a status lookup of a batched job id does.
        for (const char* id : {"b-0", "x.0", "0", ""}) (void)naq::detail::status_in(manifest, id);
        (void)naq::detail::decode_manifest(naq::detail::encode(manifest));
    } catch (const naq::Error&) {}
    return 0;
}
