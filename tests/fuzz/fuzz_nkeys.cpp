// nkey seed files (nats.nkey_seed_file) are read from disk and decoded before connecting: any
// text, a seed with a broken checksum or type, or a creds file around it. Refusals are
// std::invalid_argument (naq turns them into a ConfigError); an accepted seed yields a public
// key of its type, and base32 round-trips any bytes.
#include <stdexcept>
#include <string>

#include "connection/nkeys.hpp"
#include "fuzz/fuzz_target.hpp"

using naq::fuzz::fuzz_check;
namespace nkeys = naq::detail::nkeys;

NAQ_FUZZ_TARGET(nkeys) {
    const std::string_view text = naq::fuzz::text_of(data, size);
    fuzz_check(nkeys::base32_decode(nkeys::base32_encode(text)) == text, "base32 round trip");
    for (const std::string& seed : {nkeys::find_seed(text), std::string(text)}) {
        try {
            nkeys::KeyPair k = nkeys::from_seed(seed);
            fuzz_check(k.public_key.size() == 56 && k.public_key[0] == seed[1], "public key of the seed's type");
            fuzz_check(nkeys::from_seed(k.seed).public_key == k.public_key, "the same seed, the same key");
        } catch (const std::invalid_argument&) {}
    }
    return 0;
}
