// The hot-path encoders write JSON text directly; it must be byte-identical to what nlohmann
// writes for to_json() of the same record (key order, escaping, invalid UTF-8 replaced).
#include <catch2/catch.hpp>

#include "naq/codec.hpp"
#include "support/sample_records.hpp"

using namespace naq;

namespace {

std::string reference(const Json& j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); }

}  // namespace

TEST_CASE("codec writer: job envelopes match nlohmann's output", "[codec]") {
    Job minimal{.id = new_job_id(), .queue = "emails", .task = "send_email"};
    CHECK(codec::encode(minimal) == reference(codec::to_json(minimal)));

    Job job = test::full_job();
    job.history = Json::array({{{"requeued_at", 12}, {"reason", "dead"}}});
    CHECK(codec::encode(job) == reference(codec::to_json(job)));

    job.task =
        "quote\" back\\slash\ttab\nnew \x01 ctrl é ü \xff"
        "\xfe bad";
    job.queue = "";
    job.depends_on.clear();
    job.result_ttl.reset();
    CHECK(codec::encode(job) == reference(codec::to_json(job)));
    // Such a task is refused by decode_job (control characters), so compare the JSON itself.
    CHECK(Json::parse(codec::encode(job))["task"] == Json::parse(reference(codec::to_json(job)))["task"]);
}

TEST_CASE("codec writer: status records match nlohmann's output", "[codec]") {
    JobStatus minimal{.id = "j1", .queue = "q", .task = "t"};
    CHECK(codec::encode(minimal) == reference(codec::to_json(minimal)));
    JobStatus retrying = test::retrying_status();
    CHECK(codec::encode(retrying) == reference(codec::to_json(retrying)));
}

TEST_CASE("codec writer: result records match nlohmann's output", "[codec]") {
    JobResult r;
    r.id = "j1";
    CHECK(codec::encode(r) == reference(codec::to_json(r)));
    r.ok = true;
    CHECK(codec::encode(r) == reference(codec::to_json(r)));  // "result": null
    r.result = {{"sent", true},
                {"out", std::string("bin\xc3"
                                    "(ary")}};
    r.attempt = 1;
    r.worker = "w";
    r.started_at_ms = 100;
    r.finished_at_ms = 200;
    CHECK(codec::encode(r) == reference(codec::to_json(r)));
    r.ok = false;
    r.error = "failed: ü";
    CHECK(codec::encode(r) == reference(codec::to_json(r)));
}
