// A dead letter (stream naq_failed), as `naq dead` reads it.
#include "fuzz/fuzz_target.hpp"
#include "naq/codec.hpp"
#include "naq/errors.hpp"

NAQ_FUZZ_TARGET(dead_letter) {
    try {
        (void)naq::codec::decode_dead_letter(42, naq::fuzz::text_of(data, size));
    } catch (const naq::Error&) {}
    return 0;
}
