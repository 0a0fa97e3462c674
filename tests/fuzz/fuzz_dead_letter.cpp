// A dead letter (stream naq_failed), as `naq dead` reads it; and the dead letter a worker
// writes for any message that is not a job: within its size limit, its bytes kept exactly.
#include "core/byte_text.hpp"
#include "fuzz/fuzz_target.hpp"
#include "naq/codec.hpp"
#include "naq/errors.hpp"

using naq::fuzz::fuzz_check;

NAQ_FUZZ_TARGET(dead_letter) {
    const auto text = naq::fuzz::text_of(data, size);
    try {
        (void)naq::codec::decode_dead_letter(42, text);
    } catch (const naq::Error&) {}

    // The first byte picks a size limit (0 = none) for the rest, as a message's bytes.
    if (size == 0) return 0;
    const std::size_t limit = data[0] == 0 ? 0 : 200 + 64 * static_cast<std::size_t>(data[0]);
    const auto raw = text.substr(1);
    const std::string letter = naq::codec::encode_undecodable_dead_letter("q", raw, "why", "w", 1, limit);
    fuzz_check(limit == 0 || letter.size() <= limit, "undecodable dead letter within its limit");
    naq::DeadLetter d = naq::codec::decode_dead_letter(7, letter);
    fuzz_check(d.reason == "undecodable", "undecodable dead letter reads back");
    std::string kept;
    if (d.record.contains("raw")) {
        kept = d.record.at("raw").get<std::string>();
    } else {
        auto bytes = naq::detail::base64_decode(d.record.at("raw_base64").get<std::string>());
        fuzz_check(bytes.has_value(), "raw_base64 decodes");
        kept = *bytes;
    }
    if (d.record.contains("raw_size")) {
        fuzz_check(raw.substr(0, kept.size()) == kept && kept.size() < raw.size(), "a cut keeps the first bytes");
    } else {
        fuzz_check(kept == raw, "the message's bytes, exactly");
    }
    return 0;
}
