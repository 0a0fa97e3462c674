// Records with one home in core: dead letters, cancel requests, the leader lease, events and
// event batches, worker status; the shared field readers, nesting limit and enum names.
#include <catch2/catch.hpp>

#include <string>

#include "config/enum_names.hpp"
#include "core/json_fields.hpp"
#include "core/lease_record.hpp"
#include "naq/codec.hpp"
#include "naq/errors.hpp"
#include "naq/event.hpp"
#include "naq/names.hpp"
#include "naq/schedule.hpp"
#include "naq/worker_status.hpp"

using namespace naq;
using Catch::Matchers::Contains;

namespace {

std::string nested_array(std::size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); }

std::string envelope_with_args(const std::string& args) {
    return R"({"v":1,"id":"j1","queue":"q","task":"echo","args":)" + args + "}";
}

}  // namespace

TEST_CASE("records: a dead letter of a job round-trips with its job and every error", "[records]") {
    Job job;
    job.id = "j1";
    job.queue = "emails";
    job.task = "send";
    job.args = {{"to", "a@b.c"}};
    JobStatus status;
    status.error = "boom 2";
    status.errors = {{1, "boom 1", 10, "w"}, {2, "boom 2", 20, "w"}};
    status.finished_at_ms = 30;
    DeadLetter d = codec::decode_dead_letter(7, codec::encode_dead_letter(job, status, "failed", "w1"));
    CHECK(d.sequence == 7);
    CHECK(d.id == "j1");
    CHECK(d.queue == "emails");
    CHECK(d.task == "send");
    CHECK(d.reason == "failed");
    CHECK(d.error == "boom 2");
    CHECK(d.failed_at_ms == 30);
    CHECK(d.record["worker"] == "w1");
    CHECK(d.record["errors"].size() == 2);
    CHECK(codec::decode_job(d.record["job"].dump()).args == job.args);
}

TEST_CASE("records: an undecodable message's dead letter keeps its text, unreadable letters still show", "[records]") {
    DeadLetter d = codec::decode_dead_letter(
        3, codec::encode_undecodable_dead_letter("q", "{oops", "job: not valid JSON", "w", 5));
    CHECK(d.reason == "undecodable");
    CHECK(d.id.empty());
    CHECK(d.record["raw"] == "{oops");
    CHECK(d.failed_at_ms == 5);

    DeadLetter junk = codec::decode_dead_letter(4, "not json at all");
    CHECK(junk.reason == "unreadable");
    CHECK(junk.record["raw"] == "not json at all");
    DeadLetter deep = codec::decode_dead_letter(5, nested_array(100'000));
    CHECK(deep.reason == "unreadable");
}

TEST_CASE("records: a cancel request names the job and when", "[records]") {
    Json j = Json::parse(codec::encode_cancel_request("j9", 1234));
    CHECK(j == Json{{"v", 1}, {"id", "j9"}, {"at", 1234}});
}

TEST_CASE("records: the leader lease round-trips and refuses what is not a lease", "[records]") {
    LeaseRecord r{"host-42-abcdef", 42, "host", 100, 200, true};
    LeaseRecord back = decode_lease(encode_lease(r));
    CHECK(back.holder == r.holder);
    CHECK(back.pid == 42);
    CHECK(back.since_ms == 100);
    CHECK(back.renewed_ms == 200);
    CHECK(back.released);
    CHECK_THROWS_WITH(decode_lease(R"({"holder":7})"), Contains("scheduler lease: field 'holder' must be a string"));
    CHECK_THROWS_AS(decode_lease(nested_array(50'000)), SerializationError);
}

TEST_CASE("records: one event and an event batch decode from one message form", "[records]") {
    Event e;
    e.type = EventType::succeeded;
    e.job_id = "j1";
    e.queue = "q";
    e.at_ms = 9;
    std::string one = encode_event(e);
    auto single = decode_event_message(one);
    REQUIRE(single.size() == 1);
    CHECK(single[0].job_id == "j1");
    e.job_id = "j2";
    std::string two = encode_event(e);
    auto batch = decode_event_message(encode_event_batch({one, two}));
    REQUIRE(batch.size() == 2);
    CHECK(batch[1].job_id == "j2");
    CHECK_THROWS_WITH(decode_event(R"({"type":"succeeded","attempt":"x"})"), Contains("event: field 'attempt'"));
    CHECK_THROWS_AS(decode_event_message(R"({"v":1,"events":)" + nested_array(10'000) + "}"), SerializationError);
}

TEST_CASE("records: a worker status with an ill-typed field names it", "[records]") {
    CHECK_THROWS_WITH(decode_worker_status(R"({"id":"w","queues":"q"})"), Contains("worker status: field 'queues'"));
    CHECK_THROWS_WITH(decode_worker_status(R"({"state":"idle"})"), Contains("worker status: field 'id' is missing"));
    CHECK_THROWS_WITH(decode_worker_status(R"({"id":"w","state":"sleeping"})"),
                      Contains("unknown worker state 'sleeping' (starting, idle, busy or stopping)"));
}

TEST_CASE("records: JSON nested past the limit is refused before parsing, at any depth", "[records][limits]") {
    using json_fields::kMaxDepth;
    CHECK(json_fields::nesting_depth(R"({"a":"[[[[ in a string ]]]]","b":[1,[2]]})") == 3);
    CHECK(json_fields::nesting_depth(R"(["\"[[["])") == 1);  // an escaped quote does not end the string
    // At the limit the job decodes (the envelope is one level, its args the rest)...
    CHECK_NOTHROW(codec::decode_job(envelope_with_args(nested_array(kMaxDepth - 1))));
    // ...one past it, and far past it (a stack overflow in nlohmann's recursive copy before), it
    // is a SerializationError that says why: the worker dead-letters it as undecodable.
    for (std::size_t depth : {std::size_t(kMaxDepth), std::size_t(100'000), std::size_t(1'000'000)}) {
        CHECK_THROWS_WITH(codec::decode_job(envelope_with_args(nested_array(depth))),
                          Contains("job: nested deeper than 128 levels"));
    }
    CHECK_THROWS_AS(codec::decode_status(nested_array(200'000)), SerializationError);
    CHECK_THROWS_AS(codec::decode_result(nested_array(200'000)), SerializationError);
    CHECK_THROWS_AS(codec::decode_schedule(nested_array(200'000)), SerializationError);
    CHECK_THROWS_AS(decode_worker_status(std::string(100'000, '{')), SerializationError);
}

TEST_CASE("records: job options and task names past their limits are refused, not narrowed", "[records][limits]") {
    auto with_options = [](const std::string& options) {
        return R"({"v":1,"id":"j1","task":"echo","options":)" + options + "}";
    };
    CHECK(codec::decode_job(with_options(R"({"max_attempts":1000000})")).max_attempts == 1'000'000);
    // 2^32 + 1 narrowed to an int was 1 attempt; a larger value wrapped negative.
    for (const char* bad : {R"({"max_attempts":4294967297})", R"({"max_attempts":1000001})", R"({"max_attempts":0})",
                            R"({"max_attempts":-5})"}) {
        CHECK_THROWS_WITH(codec::decode_job(with_options(bad)), Contains("options.max_attempts must be from 1 to"));
    }
    CHECK_THROWS_WITH(codec::decode_job(with_options(R"({"max_attempts":4294967297})")), Contains("not 4294967297"));
    // A deadline past the clock's range overflowed steady_clock::now() + timeout before.
    CHECK_THROWS_WITH(codec::decode_job(with_options(R"({"timeout_ms":9223372036854775807})")),
                      Contains("options.timeout_ms must be from 0 to 31536000000"));
    CHECK_THROWS_WITH(codec::decode_job(with_options(R"({"timeout_ms":-1})")), Contains("options.timeout_ms"));
    CHECK_THROWS_WITH(codec::decode_job(with_options(R"({"backoff":{"base_ms":-1000}})")),
                      Contains("options.backoff.base_ms"));
    CHECK_THROWS_WITH(codec::decode_job(with_options(R"({"backoff":{"max_ms":99999999999999}})")),
                      Contains("options.backoff.max_ms"));
    // A task name is a metric label: bounded and printable.
    const std::string long_task = R"({"v":1,"id":"j1","task":")" + std::string(257, 't') + R"("})";
    CHECK_THROWS_WITH(codec::decode_job(long_task), Contains("task must be 1-256 bytes"));
    CHECK_THROWS_WITH(codec::decode_job(R"({"v":1,"id":"j1","task":"a\u001b[2J"})"), Contains("control characters"));
    CHECK_THROWS_WITH(codec::decode_job(R"({"v":1,"id":"j1","task":""})"), Contains("task must be 1-256 bytes"));
}

TEST_CASE("records: a result may carry args as deep as a job's", "[records][limits]") {
    Json args = Json::array();
    for (int i = 1; i < json_fields::kMaxDepth - 1; ++i) args = Json::array({args});
    JobResult r{"j", true, args, "", 1, "w", 0, 0};
    CHECK(codec::decode_result(codec::encode(r)).result == args);
}

TEST_CASE("records: one enum table names every value both ways", "[records]") {
    enum class Colour { red, green, blue };
    constexpr detail::EnumNames<Colour, 3> names{
        "colour", {{{Colour::red, "red"}, {Colour::green, "green"}, {Colour::blue, "blue"}}}};
    CHECK(std::string(names.name(Colour::green)) == "green");
    CHECK(std::string(names.name(static_cast<Colour>(9))) == "unknown");
    CHECK(names.find("blue") == Colour::blue);
    CHECK_FALSE(names.find("Blue"));
    CHECK_THROWS_WITH(names.parse<InvalidArgument>("pink"), "unknown colour 'pink' (red, green or blue)");
    CHECK_THROWS_AS(job_state_from_string("finished"), SerializationError);
    CHECK(backoff_kind_from_string("linear") == BackoffKind::linear);
    CHECK_THROWS_WITH(schedule_kind_from_string("weekly"), Contains("(once, interval or cron)"));
    CHECK_THROWS_WITH(event_type_from_string("done"), Contains("unknown event type 'done' (enqueued, started,"));
}

TEST_CASE("records: the $KV subject of a key", "[records]") {
    CHECK(names::kv_subject("naq_job_status", "j1") == "$KV.naq_job_status.j1");
    CHECK(names::worker_key("host.example.com-1-ab") == "host_example_com-1-ab");
}
