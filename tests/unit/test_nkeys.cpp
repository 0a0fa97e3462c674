// nkeys: seeds and public keys match the official implementation (vectors made with
// @nats-io/nkeys 2.0.3), signatures are Ed25519's, and bad seeds are refused without being quoted.
#include <catch2/catch.hpp>

#include <stdexcept>
#include <string>

#include "connection/nkeys.hpp"

using namespace naq::detail::nkeys;

namespace {

std::string hex(const std::string& bytes) {
    static const char* digits = "0123456789abcdef";
    std::string out;
    for (unsigned char b : bytes) {
        out.push_back(digits[b >> 4]);
        out.push_back(digits[b & 15]);
    }
    return out;
}

}  // namespace

TEST_CASE("nkeys: a seed gives the public key the official library gives", "[unit][nkeys]") {
    CHECK(from_seed("SUAL72GDIRRKSXXEA4F63W6PZXWL2D273EUWBNDMHAU3Q6KIIUOVD7VEUU").public_key ==
          "UDZW6XYF3J7XUTZ4OZXIGPOMTICJOHK4AD4QPKFTZEUIXCH3QWD3W2BV");
    CHECK(from_seed("SOALZBU6J6YGSU7RD5SA2DKS2WKMWXISRCCL6M24GBI3G7H26WSSZT2YKU").public_key ==
          "OBMQIRJPPJR4CS4CRDVNKZT5BULYMEU6OR5L7TPRUSRL2AEA5E3526QI");
    CHECK(from_seed("SAALREKVOR3DBMDYO4CQCNB7URT4IWPZUKJHL7QPSYCDDFU7QQILBLEFDI").public_key ==
          "AD4YWJAYN5EGWQLTSHR2Q6DFVHMT5YFSNRSVT3ZZQ2DGEWB2TCX6PICH");
}

TEST_CASE("nkeys: a signature is the official library's (Ed25519 is deterministic)", "[unit][nkeys]") {
    CHECK(hex(sign("SUAL72GDIRRKSXXEA4F63W6PZXWL2D273EUWBNDMHAU3Q6KIIUOVD7VEUU", "hello")) ==
          "835bddcbae7652353c47d0933edf80351bea4bf5503bac6a3cd5437dbe06890b"
          "5d941711d234f8503eb6ea73966a725745ab656d95cb78ff699e34dcdc530807");
}

TEST_CASE("nkeys: new keys have their type's letters and read back", "[unit][nkeys]") {
    for (auto [type, letter] : {std::pair{KeyType::user, 'U'}, {KeyType::account, 'A'}, {KeyType::operator_key, 'O'}}) {
        KeyPair k = create(type);
        CHECK(k.seed.size() == 58);
        CHECK(k.seed[0] == 'S');
        CHECK(k.seed[1] == letter);
        CHECK(k.public_key[0] == letter);
        CHECK(from_seed(k.seed).public_key == k.public_key);
    }
    CHECK(create(KeyType::user).seed != create(KeyType::user).seed);
}

TEST_CASE("nkeys: a bad seed is refused, saying why, never quoting it", "[unit][nkeys]") {
    const std::string good = "SUAL72GDIRRKSXXEA4F63W6PZXWL2D273EUWBNDMHAU3Q6KIIUOVD7VEUU";
    std::string flipped = good;
    flipped[20] = flipped[20] == 'A' ? 'B' : 'A';
    std::string lower = good;
    lower[10] = 'a';
    // A valid checksum around an unknown key type ('Z' is no nkey type).
    std::string raw = base32_decode(good);
    raw[1] = static_cast<char>((raw[1] & 0x07) | (25 << 3));
    raw.resize(raw.size() - 2);
    uint16_t crc = 0;
    for (unsigned char b : raw) {
        crc ^= static_cast<uint16_t>(b << 8);
        for (int i = 0; i < 8; ++i) crc = (crc & 0x8000) ? static_cast<uint16_t>((crc << 1) ^ 0x1021) : crc << 1;
    }
    raw.push_back(static_cast<char>(crc & 0xff));
    raw.push_back(static_cast<char>(crc >> 8));
    const std::string unknown_type = base32_encode(raw);
    CHECK_THROWS_WITH(from_seed(unknown_type), "not an nkey seed (unknown key type)");
    for (const std::string& bad : {std::string(), good.substr(1), good + "A", flipped, lower,
                                   std::string("UDZW6XYF3J7XUTZ4OZXIGPOMTICJOHK4AD4QPKFTZEUIXCH3QWD3W2BVAA")}) {
        try {
            from_seed(bad);
            FAIL("accepted: " << bad);
        } catch (const std::invalid_argument& e) {
            CHECK(std::string(e.what()).find("seed") != std::string::npos);
            if (!bad.empty()) CHECK(std::string(e.what()).find(bad) == std::string::npos);
        }
    }
}

TEST_CASE("nkeys: find_seed picks the seed out of a seed file or a creds file", "[unit][nkeys]") {
    const std::string seed = "SUAL72GDIRRKSXXEA4F63W6PZXWL2D273EUWBNDMHAU3Q6KIIUOVD7VEUU";
    CHECK(find_seed(seed + "\n") == seed);
    CHECK(find_seed("-----BEGIN NATS USER JWT-----\neyJ0eXAiOiJKV1QiLCJhbGciOiJlZDI1NTE5LW5rZXkifQ.e30.sig\n"
                    "------END NATS USER JWT------\n\n-----BEGIN USER NKEY SEED-----\n" +
                    seed + "\n------END USER NKEY SEED------\n") == seed);
    CHECK(find_seed("UDZW6XYF3J7XUTZ4OZXIGPOMTICJOHK4AD4QPKFTZEUIXCH3QWD3W2BV") == "");
    CHECK(find_seed("") == "");
    CHECK(base32_decode(base32_encode(std::string("\x00\xff\x10 naq", 8))) == std::string("\x00\xff\x10 naq", 8));
    CHECK_THROWS_AS(base32_decode("abc"), std::invalid_argument);
    CHECK(base32_encode("hello") == "NBSWY3DP");  // RFC 4648 vectors, without padding
    CHECK(base64url_encode("hello") == "aGVsbG8");
    CHECK(base64url_encode("\xfb\xff") == "-_8");
}
