// Unique jobs without a server: how a key is made, and the wire forms that carry a claim (the
// envelope's options.unique, the job record's unique, the unique bucket's record).
#include <catch2/catch.hpp>

#include "core/unique_record.hpp"
#include "naq/codec.hpp"
#include "naq/errors.hpp"
#include "naq/names.hpp"
#include "queue/unique_claims.hpp"

using namespace naq;

namespace {
// The same JSON whatever the order of object keys.
bool same(const Json& a, const Json& b) { return nlohmann::json::parse(a.dump()) == nlohmann::json::parse(b.dump()); }

const std::string kHexOfAbc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";  // SHA-256("abc")
}  // namespace

TEST_CASE("unique jobs: a key is the queue and the SHA-256 of the unique key, whatever its text", "[unique]") {
    CHECK(names::unique_claim_key("emails", "abc") == "emails." + kHexOfAbc);
    const std::string hostile = names::unique_claim_key("q", "a * > . space\n\xff\xfe" + std::string(5000, 'x'));
    CHECK(names::valid_unique_claim_key(hostile));
    CHECK(hostile.size() == 2 + 64);

    CHECK(names::valid_unique_claim_key("emails." + kHexOfAbc));
    CHECK_FALSE(names::valid_unique_claim_key(kHexOfAbc));                         // no queue
    CHECK_FALSE(names::valid_unique_claim_key("a b." + kHexOfAbc));                // not a queue name
    CHECK_FALSE(names::valid_unique_claim_key("q." + kHexOfAbc.substr(1)));        // 63 digits
    CHECK_FALSE(names::valid_unique_claim_key("q." + kHexOfAbc + "0"));            // 65 digits
    CHECK_FALSE(names::valid_unique_claim_key("q.BA" + kHexOfAbc.substr(2)));      // upper case
    CHECK_FALSE(names::valid_unique_claim_key("q.>" + kHexOfAbc.substr(1)));       // a wildcard
    CHECK_FALSE(names::valid_unique_claim_key("q*" + kHexOfAbc.substr(0) + "1"));  // no dot
}

TEST_CASE("unique jobs: the default key is the task and its args, in any key order", "[unique]") {
    Config c;
    EnqueueOptions o{.unique_for = Millis(60'000)};
    Json ab = Json::parse(R"({"a":1,"b":[1,2]})");
    Json ba = Json::parse(R"({"b":[1,2],"a":1})");
    UniqueClaim one = detail::unique_claim_for(c, "q", "send", ab, o, 1000);
    CHECK(detail::unique_claim_for(c, "q", "send", ba, o, 1000).key == one.key);
    CHECK(one.key == names::unique_claim_key("q", "send\n{\"a\":1,\"b\":[1,2]}"));
    CHECK(one.until_ms == 61'000);
    CHECK(one.until == UniqueUntil::finished);
    CHECK(detail::unique_claim_for(c, "q", "other", ab, o, 1000).key != one.key);
    CHECK(detail::unique_claim_for(c, "q2", "send", ab, o, 1000).key != one.key);

    // A given key decides alone.
    o.unique_key = "customer-42";
    o.unique_until = UniqueUntil::expiry;
    UniqueClaim keyed = detail::unique_claim_for(c, "q", "send", ab, o, 0);
    CHECK(keyed.key == names::unique_claim_key("q", "customer-42"));
    CHECK(detail::unique_claim_for(c, "q", "other", Json::object(), o, 0).key == keyed.key);
    CHECK(keyed.until == UniqueUntil::expiry);
}

TEST_CASE("unique jobs: unique_for and unique_key out of bounds are refused", "[unique]") {
    Config c;
    auto claim = [&](Millis unique_for, std::string key = {}) {
        EnqueueOptions o{.unique_for = unique_for};
        o.unique_key = std::move(key);
        return detail::unique_claim_for(c, "q", "t", Json::object(), o, 0);
    };
    CHECK_THROWS_AS(claim(Millis(0)), InvalidArgument);
    CHECK_THROWS_AS(claim(Millis(-5)), InvalidArgument);
    CHECK_NOTHROW(claim(c.results.ttl));
    CHECK_THROWS_WITH(claim(c.results.ttl + Millis(1)), Catch::Contains("results.ttl"));
    CHECK_NOTHROW(claim(Millis(1), std::string(1024, 'k')));
    CHECK_THROWS_AS(claim(Millis(1), std::string(1025, 'k')), InvalidArgument);
}

TEST_CASE("unique jobs: the envelope and the job record carry the claim", "[unique]") {
    Job job;
    job.id = "j1";
    job.queue = "q";
    job.task = "t";
    job.unique = UniqueClaim{"q." + kHexOfAbc, 1'700'000'000'000, UniqueUntil::expiry};
    std::string envelope = codec::encode(job);
    Json j = Json::parse(envelope);
    CHECK(same(j["options"]["unique"], {{"key", "q." + kHexOfAbc}, {"until", 1'700'000'000'000}, {"mode", "expiry"}}));
    CHECK(same(j, codec::to_json(job)));
    Job back = codec::decode_job(envelope);
    REQUIRE(back.unique);
    CHECK(back.unique->key == job.unique->key);
    CHECK(back.unique->until_ms == job.unique->until_ms);
    CHECK(back.unique->until == UniqueUntil::expiry);

    job.unique.reset();
    CHECK(Json::parse(codec::encode(job))["options"].count("unique") == 0);  // absent when not unique

    JobStatus s;
    s.id = "j1";
    s.unique = UniqueClaim{"q." + kHexOfAbc, 5, UniqueUntil::finished};
    JobStatus sb = codec::decode_status(codec::encode(s));
    REQUIRE(sb.unique);
    CHECK(sb.unique->key == s.unique->key);
    CHECK(sb.unique->until == UniqueUntil::finished);
    CHECK(same(Json::parse(codec::encode(s)), codec::to_json(s)));
}

TEST_CASE("unique jobs: an envelope with a bad claim is not a job", "[unique]") {
    auto envelope = [](const std::string& unique) {
        return R"({"v":1,"id":"j","task":"t","queue":"q","args":{},"options":{"unique":)" + unique + "}}";
    };
    CHECK_NOTHROW(codec::decode_job(envelope(R"({"key":"q.)" + kHexOfAbc + R"(","until":1})")));
    // A key that is not of the form unique_claim_key() gives could reach other keys of the bucket.
    CHECK_THROWS_AS(codec::decode_job(envelope(R"({"key":"q.>","until":1})")), SerializationError);
    CHECK_THROWS_AS(codec::decode_job(envelope(R"({"key":"q.)" + kHexOfAbc + R"(","mode":"never"})")),
                    SerializationError);
    CHECK_THROWS_AS(codec::decode_job(envelope(R"("q.abc")")), SerializationError);
    CHECK_THROWS_AS(codec::decode_job(envelope(R"({"until":1})")), SerializationError);
}

TEST_CASE("unique jobs: the unique bucket's record round-trips and bad ones are errors", "[unique]") {
    detail::UniqueRecord r{"job-1", "emails", 100, 200, UniqueUntil::expiry};
    Json j = Json::parse(detail::encode(r));
    CHECK(same(j, {{"v", 1}, {"job", "job-1"}, {"queue", "emails"}, {"at", 100}, {"until", 200}, {"mode", "expiry"}}));
    detail::UniqueRecord back = detail::decode_unique_record(detail::encode(r));
    CHECK(back.job_id == "job-1");
    CHECK(back.queue == "emails");
    CHECK(back.at_ms == 100);
    CHECK(back.until_ms == 200);
    CHECK(back.until == UniqueUntil::expiry);
    CHECK(detail::decode_unique_record(R"({"job":"j","until":5})").until == UniqueUntil::finished);
    CHECK_THROWS_AS(detail::decode_unique_record(R"({"until":5})"), SerializationError);
    CHECK_THROWS_AS(detail::decode_unique_record(R"({"job":"a b","until":5})"), SerializationError);
    CHECK_THROWS_AS(detail::decode_unique_record(R"({"job":"j"})"), SerializationError);
    CHECK_THROWS_AS(detail::decode_unique_record("not json"), SerializationError);
}
