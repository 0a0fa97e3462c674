// The scheduler's leader lease record.
#include "core/lease_record.hpp"
#include "fuzz/fuzz_target.hpp"
#include "naq/errors.hpp"

NAQ_FUZZ_TARGET(lease) {
    try {
        auto lease = naq::decode_lease(naq::fuzz::text_of(data, size));
        (void)naq::decode_lease(naq::encode_lease(lease));
    } catch (const naq::Error&) {}
    return 0;
}
