// Batch ids and the shared `queued` record of an enqueue_many chunk (src/core/enqueue_batch).
#include <catch2/catch.hpp>

#include <set>

#include "core/enqueue_batch.hpp"
#include "naq/errors.hpp"

using namespace naq;
using namespace naq::detail;

TEST_CASE("batch: ids share a prefix, count in their last digits and lead to their record", "[batch]") {
    BatchIds ids;
    std::string first = ids.next();
    std::string second = ids.next();
    std::string third = ids.next();
    CHECK(first.size() == 36);
    CHECK(first.substr(0, 30) == second.substr(0, 30));
    CHECK(first.substr(30) == "000000");
    CHECK(third.substr(30) == "000002");
    CHECK(first[14] == '7');  // still a UUIDv7
    CHECK(ids.size() == 3);
    CHECK(batch_key_of(second) == ids.key());
    CHECK(BatchIds().key() != ids.key());  // another batch, another record

    CHECK(batch_key_of(new_job_id()).has_value());  // any UUIDv7 could be one: the key decides
    CHECK_FALSE(batch_key_of("job-1").has_value());
    CHECK_FALSE(batch_key_of("0192f3a4-1b2c-4d3e-8f40-a1b2c3000001").has_value());  // v4
    CHECK_FALSE(batch_key_of("0192F3A4-1B2C-7D3E-8F40-A1B2C3000001").has_value());  // not ours
}

TEST_CASE("batch: the record gives each member's queued status and nobody else's", "[batch]") {
    BatchIds ids;
    std::vector<std::string> members;
    BatchManifest m;
    m.queue = "emails";
    m.enqueued_at_ms = 1763911200123;
    const char* tasks[] = {"send", "send", "send", "render", "send"};
    for (uint32_t i = 0; i < 5; ++i) {
        members.push_back(ids.next());
        m.add(i, tasks[i], i == 4 ? 5 : 3);
    }
    REQUIRE(m.runs.size() == 3);  // send×3, render, send with other attempts

    BatchManifest back = decode_manifest(encode(m));
    for (uint32_t i = 0; i < 5; ++i) {
        auto s = status_in(back, members[i]);
        REQUIRE(s);
        CHECK(s->id == members[i]);
        CHECK(s->state == JobState::queued);
        CHECK(s->queue == "emails");
        CHECK(s->task == tasks[i]);
        CHECK(s->max_attempts == (i == 4 ? 5 : 3));
        CHECK(s->enqueued_at_ms == 1763911200123);
    }
    CHECK_FALSE(status_in(back, ids.next()));  // number 5 was never added
    CHECK_FALSE(status_in(back, "job-1"));
}

TEST_CASE("batch: an unreadable record is a SerializationError saying what is wrong", "[batch]") {
    CHECK_THROWS_AS(decode_manifest("not json"), SerializationError);
    CHECK_THROWS_WITH(decode_manifest(R"({"kind":"batch","runs":[]})"), Catch::Contains("'queue'"));
    CHECK_THROWS_WITH(decode_manifest(R"({"kind":"batch","queue":"q","runs":[{"task":"t","first":-1,"last":2}]})"),
                      Catch::Contains("'first'"));
    CHECK_THROWS_AS(decode_manifest(R"({"v":1,"id":"x","state":"queued"})"), SerializationError);  // a job's record
}
