// The hot-path encoders write JSON text directly; it must say what nlohmann writes for
// to_json() of the same record (escaping, invalid UTF-8 replaced), member for member. Key order
// differs on purpose: to_json keeps a reading order for people, the encoders sort.
#include <catch2/catch.hpp>

#include "naq/codec.hpp"
#include "naq/errors.hpp"
#include "naq/event.hpp"
#include "support/sample_records.hpp"

using namespace naq;

namespace {

std::string reference(const Json& j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); }

// The same members with the same values, whatever their order (nlohmann::json sorts them).
bool same_record(const std::string& encoded, const Json& expected) {
    return nlohmann::json::parse(encoded) == nlohmann::json::parse(reference(expected));
}

}  // namespace

TEST_CASE("codec writer: job envelopes match nlohmann's output", "[codec]") {
    Job minimal{.id = new_job_id(), .queue = "emails", .task = "send_email"};
    CHECK(same_record(codec::encode(minimal), codec::to_json(minimal)));

    Job job = test::full_job();
    job.history = Json::array({{{"requeued_at", 12}, {"reason", "dead"}}});
    CHECK(same_record(codec::encode(job), codec::to_json(job)));

    job.task =
        "quote\" back\\slash\ttab\nnew \x01 ctrl é ü \xff"
        "\xfe bad";
    job.queue = "";
    job.depends_on.clear();
    job.result_ttl.reset();
    CHECK(same_record(codec::encode(job), codec::to_json(job)));
    // Such a task is refused by decode_job (control characters), so compare the JSON itself.
    CHECK(Json::parse(codec::encode(job))["task"] == Json::parse(reference(codec::to_json(job)))["task"]);
}

TEST_CASE("codec writer: status records match nlohmann's output", "[codec]") {
    JobStatus minimal{.id = "j1", .queue = "q", .task = "t"};
    CHECK(same_record(codec::encode(minimal), codec::to_json(minimal)));
    JobStatus retrying = test::retrying_status();
    CHECK(same_record(codec::encode(retrying), codec::to_json(retrying)));
}

TEST_CASE("codec: a job record names the jobs it depends on, and its enqueued event does too", "[codec]") {
    JobStatus waiting{.id = "j2", .queue = "q", .task = "t", .state = JobState::waiting};
    waiting.depends_on = {"j0", "j1"};
    CHECK(same_record(codec::encode(waiting), codec::to_json(waiting)));
    CHECK(codec::decode_status(codec::encode(waiting)).depends_on == waiting.depends_on);
    CHECK_FALSE(Json::parse(codec::encode(JobStatus{.id = "j3", .queue = "q", .task = "t"})).contains("depends_on"));
    CHECK_THROWS_AS(codec::decode_status(R"({"id":"j","state":"queued","depends_on":"j0"})"), SerializationError);
    CHECK_THROWS_AS(codec::decode_status(R"({"id":"j","state":"queued","depends_on":[1]})"), SerializationError);

    Job job{.id = "j2", .queue = "q", .task = "t"};
    job.depends_on = {"j0"};
    CHECK(job_event(EventType::enqueued, job).data == Json{{"depends_on", {"j0"}}});
    CHECK(job_event(EventType::started, job).data.is_null());
}

TEST_CASE("codec writer: result records match nlohmann's output", "[codec]") {
    JobResult r;
    r.id = "j1";
    CHECK(same_record(codec::encode(r), codec::to_json(r)));
    r.ok = true;
    CHECK(same_record(codec::encode(r), codec::to_json(r)));  // "result": null
    r.result = {{"sent", true},
                {"out", std::string("bin\xc3"
                                    "(ary")}};
    r.attempt = 1;
    r.worker = "w";
    r.started_at_ms = 100;
    r.finished_at_ms = 200;
    CHECK(same_record(codec::encode(r), codec::to_json(r)));
    r.ok = false;
    r.error = "failed: ü";
    CHECK(same_record(codec::encode(r), codec::to_json(r)));
}
