// A worker's status record (bucket naq_workers), as `naq workers` reads it.
#include "fuzz/fuzz_target.hpp"
#include "naq/errors.hpp"
#include "naq/worker_status.hpp"

NAQ_FUZZ_TARGET(worker_status) {
    try {
        auto status = naq::decode_worker_status(naq::fuzz::text_of(data, size));
        (void)naq::decode_worker_status(naq::encode(status));
    } catch (const naq::Error&) {}
    return 0;
}
