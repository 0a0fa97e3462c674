// The hot-path encoders write JSON text directly; it must be byte-identical to what nlohmann
// writes for to_json() of the same record (key order, escaping, invalid UTF-8 replaced).
#include <catch2/catch.hpp>

#include "naq/codec.hpp"

using namespace naq;

namespace {

std::string reference(const Json& j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); }

}  // namespace

TEST_CASE("codec writer: job envelopes match nlohmann's output", "[codec]") {
    Job job;
    job.id = new_job_id();
    job.queue = "emails";
    job.task = "send_email";
    CHECK(codec::encode(job) == reference(codec::to_json(job)));

    job.args = {{"to", "a@b.c"}, {"n", -3}, {"pi", 3.25}, {"list", {1, "two", nullptr}}, {"nested", {{"z", true}}}};
    job.enqueued_at_ms = 1'700'000'000'123;
    job.max_attempts = 5;
    job.backoff = {BackoffKind::linear, Millis(250), Millis(10'000), false};
    job.timeout = Millis(30'000);
    job.result_ttl = Millis(60'000);
    job.depends_on = {"a", "b-2"};
    job.history = Json::array({{{"requeued_at", 12}, {"reason", "dead"}}});
    CHECK(codec::encode(job) == reference(codec::to_json(job)));

    job.task = "quote\" back\\slash\ttab\nnew \x01 ctrl é ü \xff" "\xfe bad";
    job.queue = "";
    job.depends_on.clear();
    job.result_ttl.reset();
    CHECK(codec::encode(job) == reference(codec::to_json(job)));
    CHECK(codec::decode_job(codec::encode(job)).task == codec::decode_job(reference(codec::to_json(job))).task);
}

TEST_CASE("codec writer: status records match nlohmann's output", "[codec]") {
    JobStatus s;
    s.id = "j1";
    s.queue = "q";
    s.task = "t";
    CHECK(codec::encode(s) == reference(codec::to_json(s)));

    s.state = JobState::retrying;
    s.attempt = 2;
    s.max_attempts = 3;
    s.worker = "host-1-abc";
    s.error = "boom \"quoted\"\n";
    s.enqueued_at_ms = 1;
    s.started_at_ms = 2;
    s.finished_at_ms = 3;
    s.updated_at_ms = 4;
    s.next_attempt_at_ms = 5;
    s.errors = {{1, "first", 10, "w1"}, {2, "second \x02", 20, ""}};
    CHECK(codec::encode(s) == reference(codec::to_json(s)));
}

TEST_CASE("codec writer: result records match nlohmann's output", "[codec]") {
    JobResult r;
    r.id = "j1";
    CHECK(codec::encode(r) == reference(codec::to_json(r)));
    r.ok = true;
    CHECK(codec::encode(r) == reference(codec::to_json(r)));  // "result": null
    r.result = {{"sent", true}, {"out", std::string("bin\xc3" "(ary")}};
    r.attempt = 1;
    r.worker = "w";
    r.started_at_ms = 100;
    r.finished_at_ms = 200;
    CHECK(codec::encode(r) == reference(codec::to_json(r)));
    r.ok = false;
    r.error = "failed: ü";
    CHECK(codec::encode(r) == reference(codec::to_json(r)));
}
