// The JSON wire codec: round trips, defaults, unknown fields, and errors that name the field.
#include <catch2/catch.hpp>

#include "naq/codec.hpp"
#include "naq/errors.hpp"
#include "support/sample_records.hpp"

using namespace naq;
using Catch::Matchers::Contains;

TEST_CASE("codec: a job envelope round-trips", "[codec]") {
    Job job = test::full_job();
    Job back = codec::decode_job(codec::encode(job));
    CHECK(back.id == job.id);
    CHECK(back.queue == "emails");
    CHECK(back.task == "send_email");
    CHECK(back.args == job.args);
    CHECK(back.enqueued_at_ms == job.enqueued_at_ms);
    CHECK(back.max_attempts == 5);
    CHECK(back.backoff.kind == BackoffKind::linear);
    CHECK(back.backoff.base == Millis(250));
    CHECK(back.backoff.max == Millis(10'000));
    CHECK_FALSE(back.backoff.jitter);
    CHECK(back.timeout == Millis(30'000));
    CHECK(back.result_ttl == Millis(60'000));
    CHECK(back.depends_on == std::vector<std::string>{"a", "b-2"});
    CHECK(Json::parse(codec::encode(job))["v"] == 1);
}

TEST_CASE("codec: a minimal foreign envelope decodes with defaults, unknown fields are ignored", "[codec]") {
    Job job = codec::decode_job(R"({"id":"j1","task":"echo","extra":{"x":1},"options":{"future":true}})", "q");
    CHECK(job.id == "j1");
    CHECK(job.queue == "q");  // from the subject when the envelope leaves it out
    CHECK(job.args == Json::object());
    CHECK(job.max_attempts == 1);
    CHECK(job.timeout == Millis(0));
    CHECK(job.depends_on.empty());
}

TEST_CASE("codec: missing or ill-typed fields are SerializationErrors naming the field", "[codec]") {
    CHECK_THROWS_WITH(codec::decode_job(R"({"task":"echo"})"), Contains("'id'") && Contains("missing"));
    CHECK_THROWS_WITH(codec::decode_job(R"({"id":"x","task":7})"), Contains("'task'") && Contains("string"));
    CHECK_THROWS_WITH(codec::decode_job(R"({"id":"x","task":"t","options":{"max_attempts":"3"}})"),
                      Contains("'max_attempts'"));
    CHECK_THROWS_WITH(codec::decode_job(R"({"id":"x","task":"t","options":{"max_attempts":0}})"),
                      Contains("max_attempts must be from 1 to 1000000"));
    CHECK_THROWS_WITH(codec::decode_job(R"({"id":"x","task":"t","options":{"backoff":{"kind":"weird"}}})"),
                      Contains("'kind'"));
    CHECK_THROWS_WITH(codec::decode_job(R"({"id":"x","task":"t","options":{"depends_on":[1]}})"),
                      Contains("'depends_on'"));
    CHECK_THROWS_WITH(codec::decode_job(R"({"id":"x","task":"t","v":2})"), Contains("'v'"));
    CHECK_THROWS_AS(codec::decode_job("{not json"), SerializationError);
    CHECK_THROWS_AS(codec::decode_job("[1,2]"), SerializationError);
}

TEST_CASE("codec: status and result records round-trip", "[codec]") {
    JobStatus sb = codec::decode_status(codec::encode(test::retrying_status()));
    CHECK(sb.state == JobState::retrying);
    CHECK(sb.attempt == 2);
    CHECK(sb.next_attempt_at_ms == 5);
    REQUIRE(sb.errors.size() == 2);
    CHECK(sb.errors[1].error == "second \x02");

    JobResult r{"j", true, Json{{"ok", 1}}, "", 1, "w", 5, 7};
    JobResult rb = codec::decode_result(codec::encode(r));
    CHECK(rb.ok);
    CHECK(rb.result["ok"] == 1);
    CHECK(rb.finished_at_ms == 7);
    CHECK_THROWS_WITH(codec::decode_result(R"({"id":"j","status":"maybe"})"), Contains("'status'"));
}

TEST_CASE("codec: handler output that is not UTF-8 is stored, not thrown", "[codec]") {
    JobResult r{"j", true, Json{{"output", std::string("\xff\xfe bytes")}}, "", 1, "w", 0, 0};
    CHECK_NOTHROW(codec::encode(r));
}
