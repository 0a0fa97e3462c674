// A unique job's claim (bucket naq_unique), which producers read before taking it over.
#include "core/unique_record.hpp"
#include "fuzz/fuzz_target.hpp"
#include "naq/errors.hpp"

using naq::fuzz::fuzz_check;

NAQ_FUZZ_TARGET(unique_record) {
    try {
        naq::detail::UniqueRecord record = naq::detail::decode_unique_record(naq::fuzz::text_of(data, size));
        naq::detail::UniqueRecord again = naq::detail::decode_unique_record(naq::detail::encode(record));
        fuzz_check(again.job_id == record.job_id && again.until_ms == record.until_ms, "unique record round trip");
    } catch (const naq::Error&) {}
    return 0;
}
