// NATS nkeys: Ed25519 keys written as base32 text with a type prefix and a CRC-16 ("SU…" is a
// user's seed, "U…" its public key). naq reads a seed file (nats.nkey_seed_file) and gives cnats
// the public key the server lists; the tests also make keys and sign JWTs with it. Private to
// src/connection (and the tests).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace naq::detail::nkeys {

/// What a key is for: the first letter of its public key.
enum class KeyType : uint8_t {
    operator_key = 14 << 3,  // 'O'
    account = 0,             // 'A'
    user = 20 << 3,          // 'U'
};

struct KeyPair {
    std::string seed;        ///< "S" + type letter + …: the secret
    std::string public_key;  ///< type letter + …: what the server lists
};

/// The key pair of an encoded seed. Throws std::invalid_argument saying what is wrong (never
/// quoting the seed).
KeyPair from_seed(std::string_view seed);

/// The first seed-shaped word in `text` (a seed file, or a creds file holding one); empty when
/// there is none.
std::string find_seed(std::string_view text);

/// A new key pair of `type` from a random seed.
KeyPair create(KeyType type);

/// The 64-byte Ed25519 signature of `data` by the seed's key.
std::string sign(std::string_view seed, std::string_view data);

/// RFC 4648 base32 without padding (the nkey alphabet), and back; decode throws
/// std::invalid_argument on a character outside it.
std::string base32_encode(std::string_view bytes);
std::string base32_decode(std::string_view text);
/// RFC 4648 base64url without padding: the parts of a NATS JWT.
std::string base64url_encode(std::string_view bytes);

}  // namespace naq::detail::nkeys
