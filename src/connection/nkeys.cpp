// NATS nkeys (see nkeys.hpp), following github.com/nats-io/nkeys: a seed is base32 of two prefix
// bytes (seed marker + key type), the 32-byte Ed25519 seed and a little-endian CRC-16/XMODEM; a
// public key is base32 of one type byte, the 32-byte public key and the CRC. Ed25519 is OpenSSL's.
#include "nkeys.hpp"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <iterator>
#include <memory>
#include <stdexcept>

namespace naq::detail::nkeys {

namespace {

constexpr uint8_t kSeedPrefix = 18 << 3;  // 'S'
constexpr std::size_t kKeyBytes = 32;
constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
// base32 of 2 prefix bytes + 32 + 2 CRC bytes.
constexpr std::size_t kSeedChars = 58;

uint16_t crc16(std::string_view bytes) {
    uint16_t crc = 0;
    for (unsigned char b : bytes) {
        crc ^= static_cast<uint16_t>(b << 8);
        for (int i = 0; i < 8; ++i) {
            crc = (crc & 0x8000) != 0 ? static_cast<uint16_t>((crc << 1) ^ 0x1021) : static_cast<uint16_t>(crc << 1);
        }
    }
    return crc;
}

std::string with_crc(std::string raw) {
    const uint16_t crc = crc16(raw);
    raw.push_back(static_cast<char>(crc & 0xff));
    raw.push_back(static_cast<char>(crc >> 8));
    return raw;
}

struct PkeyDeleter {
    void operator()(EVP_PKEY* k) const noexcept { EVP_PKEY_free(k); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyDeleter>;

struct MdCtxDeleter {
    void operator()(EVP_MD_CTX* c) const noexcept { EVP_MD_CTX_free(c); }
};

// The raw 32-byte seed and the key type of an encoded seed.
std::pair<std::string, uint8_t> decode_seed(std::string_view seed) {
    if (seed.size() != kSeedChars) throw std::invalid_argument("an nkey seed is 58 characters (like SU…)");
    if (seed.find_first_not_of(kAlphabet) != std::string_view::npos) {
        throw std::invalid_argument("not an nkey seed (only A-Z and 2-7)");
    }
    std::string raw = base32_decode(seed);
    const std::string_view body(raw.data(), raw.size() - 2);
    const uint16_t crc = static_cast<uint16_t>(static_cast<unsigned char>(raw[raw.size() - 2]) |
                                               (static_cast<unsigned char>(raw[raw.size() - 1]) << 8));
    if (crc16(body) != crc) throw std::invalid_argument("not an nkey seed (its checksum does not match)");
    const auto b0 = static_cast<unsigned char>(raw[0]);
    const auto b1 = static_cast<unsigned char>(raw[1]);
    if ((b0 & 0xf8) != kSeedPrefix) throw std::invalid_argument("not an nkey seed (it does not start with S)");
    const auto type = static_cast<uint8_t>(((b0 & 0x07) << 5) | ((b1 & 0xf8) >> 3));
    // Operator, account, user, and the server, cluster and curve keys of the nkeys library.
    constexpr uint8_t kKnownTypes[] = {14 << 3, 0, 20 << 3, 13 << 3, 2 << 3, 23 << 3};
    if (std::find(std::begin(kKnownTypes), std::end(kKnownTypes), type) == std::end(kKnownTypes)) {
        throw std::invalid_argument("not an nkey seed (unknown key type)");
    }
    return {std::string(body.substr(2)), type};
}

PkeyPtr private_key(const std::string& raw_seed) {
    PkeyPtr key(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr,
                                             reinterpret_cast<const unsigned char*>(raw_seed.data()), raw_seed.size()));
    if (!key) throw std::invalid_argument("not an Ed25519 nkey seed");
    return key;
}

std::string encode_public(uint8_t type, const EVP_PKEY* key) {
    std::array<unsigned char, kKeyBytes> pub{};
    std::size_t len = pub.size();
    if (EVP_PKEY_get_raw_public_key(key, pub.data(), &len) != 1 || len != kKeyBytes) {
        throw std::invalid_argument("no public key for this nkey seed");
    }
    std::string raw(1, static_cast<char>(type));
    raw.append(reinterpret_cast<const char*>(pub.data()), pub.size());
    return base32_encode(with_crc(std::move(raw)));
}

std::string encode_seed(uint8_t type, const std::string& raw_seed) {
    std::string raw;
    raw.push_back(static_cast<char>(kSeedPrefix | (type >> 5)));
    raw.push_back(static_cast<char>((type & 31) << 3));
    raw += raw_seed;
    return base32_encode(with_crc(std::move(raw)));
}

}  // namespace

namespace {

// `bytes` as characters of `alphabet`, `width` bits each (5: base32, 6: base64), no padding.
std::string encode_bits(std::string_view bytes, std::string_view alphabet, int width) {
    const uint32_t mask = (1U << width) - 1;
    std::string out;
    uint32_t buffer = 0;
    int bits = 0;
    for (unsigned char b : bytes) {
        buffer = (buffer << 8) | b;
        bits += 8;
        while (bits >= width) {
            out.push_back(alphabet[(buffer >> (bits - width)) & mask]);
            bits -= width;
        }
    }
    if (bits > 0) out.push_back(alphabet[(buffer << (width - bits)) & mask]);
    return out;
}

}  // namespace

std::string base32_encode(std::string_view bytes) { return encode_bits(bytes, kAlphabet, 5); }

std::string base64url_encode(std::string_view bytes) {
    return encode_bits(bytes, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", 6);
}

std::string base32_decode(std::string_view text) {
    std::string out;
    uint32_t buffer = 0;
    int bits = 0;
    for (char c : text) {
        const auto at = kAlphabet.find(c);
        if (at == std::string_view::npos) throw std::invalid_argument("not base32 (A-Z, 2-7)");
        buffer = (buffer << 5) | static_cast<uint32_t>(at);
        bits += 5;
        if (bits >= 8) {
            out.push_back(static_cast<char>((buffer >> (bits - 8)) & 0xff));
            bits -= 8;
        }
    }
    return out;
}

KeyPair from_seed(std::string_view seed) {
    auto [raw_seed, type] = decode_seed(seed);
    PkeyPtr key = private_key(raw_seed);
    return {std::string(seed), encode_public(type, key.get())};
}

std::string find_seed(std::string_view text) {
    auto is_seed_char = [](char c) { return (c >= 'A' && c <= 'Z') || (c >= '2' && c <= '7'); };
    std::size_t i = 0;
    while (i < text.size()) {
        if (!is_seed_char(text[i])) {
            ++i;
            continue;
        }
        std::size_t end = i;
        while (end < text.size() && is_seed_char(text[end])) ++end;
        if (end - i == kSeedChars && text[i] == 'S') return std::string(text.substr(i, end - i));
        i = end;
    }
    return {};
}

KeyPair create(KeyType type) {
    std::string raw_seed(kKeyBytes, '\0');
    if (RAND_bytes(reinterpret_cast<unsigned char*>(raw_seed.data()), static_cast<int>(raw_seed.size())) != 1) {
        throw std::runtime_error("no random bytes for an nkey seed");
    }
    return from_seed(encode_seed(static_cast<uint8_t>(type), raw_seed));
}

std::string sign(std::string_view seed, std::string_view data) {
    PkeyPtr key = private_key(decode_seed(seed).first);
    std::unique_ptr<EVP_MD_CTX, MdCtxDeleter> ctx(EVP_MD_CTX_new());
    std::array<unsigned char, 64> sig{};
    std::size_t len = sig.size();
    if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) != 1 ||
        EVP_DigestSign(ctx.get(), sig.data(), &len, reinterpret_cast<const unsigned char*>(data.data()), data.size()) !=
            1) {
        throw std::runtime_error("Ed25519 signing failed");
    }
    return std::string(reinterpret_cast<const char*>(sig.data()), len);
}

}  // namespace naq::detail::nkeys
