// Dead letters that must fit the server's max_payload, and messages whose bytes are not UTF-8:
// what is kept, what is dropped and that the record says so.
#include <catch2/catch.hpp>

#include <string>

#include "core/byte_text.hpp"
#include "naq/codec.hpp"

using namespace naq;

namespace {

Job big_job(std::size_t arg_bytes) {
    Job job;
    job.id = "big-1";
    job.queue = "q";
    job.task = "echo";
    job.args = Json{{"blob", std::string(arg_bytes, 'x')}};
    return job;
}

JobStatus failed_status(int attempts, std::size_t error_bytes) {
    JobStatus s;
    s.id = "big-1";
    s.state = JobState::dead;
    for (int a = 1; a <= attempts; ++a) s.errors.push_back({a, std::string(error_bytes, 'e'), 1000 + a, "w"});
    s.error = s.errors.empty() ? "" : s.errors.back().error;
    return s;
}

}  // namespace

TEST_CASE("byte text: UTF-8 check", "[records]") {
    CHECK(detail::is_valid_utf8(""));
    CHECK(detail::is_valid_utf8("plain ascii"));
    CHECK(detail::is_valid_utf8("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"));
    CHECK_FALSE(detail::is_valid_utf8("\xFF"));
    CHECK_FALSE(detail::is_valid_utf8("\xC3"));              // cut inside a character
    CHECK_FALSE(detail::is_valid_utf8("\xC0\xAF"));          // overlong '/'
    CHECK_FALSE(detail::is_valid_utf8("\xED\xA0\x80"));      // a surrogate
    CHECK_FALSE(detail::is_valid_utf8("\xF4\x90\x80\x80"));  // past U+10FFFF
    CHECK_FALSE(detail::is_valid_utf8("\x80"));
}

TEST_CASE("byte text: base64 round-trips every byte and refuses what is not base64", "[records]") {
    std::string all;
    for (int b = 0; b < 256; ++b) all += static_cast<char>(b);
    for (std::size_t n : {0, 1, 2, 3, 4, 5, 255, 256}) {
        std::string bytes = all.substr(0, n);
        CHECK(detail::base64_decode(detail::base64_encode(bytes)) == bytes);
    }
    CHECK(detail::base64_encode("foobar") == "Zm9vYmFy");
    CHECK(detail::base64_encode("fo") == "Zm8=");
    CHECK(detail::base64_encode("f") == "Zg==");
    CHECK_FALSE(detail::base64_decode("Zm9").has_value());
    CHECK_FALSE(detail::base64_decode("Zm9*").has_value());
    CHECK_FALSE(detail::base64_decode("Z=9v").has_value());
    CHECK_FALSE(detail::base64_decode("Zg=x").has_value());
}

TEST_CASE("dead letter: a job too big for the server keeps its identity and drops its args", "[records]") {
    const std::size_t limit = 64 * 1024;
    std::string text = codec::encode_dead_letter(big_job(200 * 1024), failed_status(1, 10), "failed", "w", limit);
    REQUIRE(text.size() <= limit);
    Json r = Json::parse(text);
    CHECK(r["id"] == "big-1");
    CHECK(r["reason"] == "failed");
    CHECK(r["job"]["args"].is_null());
    CHECK(r["args_dropped"].get<std::size_t>() > 200 * 1024);
    CHECK(r["errors"].size() == 1);
    CHECK_FALSE(r.contains("errors_dropped"));
    // The same job under no limit is whole.
    Json whole = Json::parse(codec::encode_dead_letter(big_job(200 * 1024), failed_status(1, 10), "failed", "w"));
    CHECK(whole["job"]["args"]["blob"].get<std::string>().size() == 200 * 1024);
    CHECK_FALSE(whole.contains("args_dropped"));
}

TEST_CASE("dead letter: a long history keeps only the last attempt's error when it must", "[records]") {
    const std::size_t limit = 64 * 1024;
    std::string text = codec::encode_dead_letter(big_job(10), failed_status(100, 4000), "max_deliveries", "w", limit);
    REQUIRE(text.size() <= limit);
    Json r = Json::parse(text);
    CHECK(r["errors"].size() == 1);
    CHECK(r["errors"][0]["attempt"] == 100);
    CHECK(r["errors_dropped"] == 99);
}

TEST_CASE("dead letter: an undecodable message keeps its bytes losslessly", "[records]") {
    const std::string utf8 = "{\"id\": \"caf\xC3\xA9\"";
    Json r = Json::parse(codec::encode_undecodable_dead_letter("q", utf8, "bad", "w", 1));
    CHECK(r["raw"] == utf8);
    CHECK_FALSE(r.contains("raw_base64"));

    const std::string binary = std::string("\xFF\xFE{\x00\x01", 5);
    r = Json::parse(codec::encode_undecodable_dead_letter("q", binary, "bad", "w", 1));
    CHECK_FALSE(r.contains("raw"));
    CHECK(detail::base64_decode(r["raw_base64"].get<std::string>()) == binary);
}

TEST_CASE("dead letter: an undecodable message too big to keep whole keeps its start and its size", "[records]") {
    const std::size_t limit = 4096;
    // Every '"' doubles in JSON: the cut is found by size, not by counting bytes.
    std::string raw(100'000, '"');
    std::string text = codec::encode_undecodable_dead_letter("q", raw, "bad", "w", 1, limit);
    REQUIRE(text.size() <= limit);
    Json r = Json::parse(text);
    CHECK(r["raw_size"] == 100'000);
    const auto kept = r["raw"].get<std::string>().size();
    CHECK(kept > 1000);
    CHECK(kept < 2048);
    // A cut never splits a UTF-8 character.
    std::string euros;
    for (int i = 0; i < 10'000; ++i) euros += "\xE2\x82\xAC";
    r = Json::parse(codec::encode_undecodable_dead_letter("q", euros, "bad", "w", 1, limit));
    CHECK(r["raw"].get<std::string>().size() % 3 == 0);
    CHECK(detail::is_valid_utf8(r["raw"].get<std::string>()));
}
