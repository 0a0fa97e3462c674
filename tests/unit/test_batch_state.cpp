// The batch record without a server: its bits, when it is complete, its wire form and what a
// reader makes of bad ones.
#include <catch2/catch.hpp>

#include "core/byte_text.hpp"
#include "naq/batch.hpp"
#include "naq/codec.hpp"
#include "naq/errors.hpp"

using namespace naq;

namespace {

BatchState batch_of(uint32_t total) {
    BatchState b;
    b.id = "b1";
    b.queue = "q";
    b.total = total;
    b.callback.task = "report";
    return b;
}

}  // namespace

TEST_CASE("batches: a job counts once, and a batch completes when sealed and every job counted", "[batches]") {
    BatchState b = batch_of(10);
    CHECK_FALSE(b.counted(9));
    CHECK(b.mark(9));
    CHECK(b.counted(9));
    CHECK_FALSE(b.mark(9));   // a redelivered job: no second count
    CHECK_FALSE(b.mark(10));  // past the end
    CHECK(b.done.size() == 2);
    for (uint32_t i = 0; i < 9; ++i) CHECK(b.mark(i));
    b.succeeded = 10;
    CHECK_FALSE(b.complete());  // not sealed: the producer may still skip some
    b.sealed = true;
    CHECK(b.complete());
    CHECK(b.callback_job_id() == "b1-on-complete");

    BatchState empty = batch_of(0);
    empty.sealed = true;
    CHECK(empty.complete());
}

TEST_CASE("batches: the record round-trips, bits and callback included", "[batches]") {
    BatchState b = batch_of(20);
    b.mark(0);
    b.mark(19);
    b.succeeded = 1;
    b.dead = 1;
    b.sealed = true;
    b.callback.args = {{"report", "monthly"}};
    b.callback.queue = "reports";
    b.callback.options.max_attempts = 3;
    b.created_at_ms = 1'700'000'000'000;
    Json j = Json::parse(encode(b));
    CHECK(j["v"] == 1);
    CHECK(j["callback"]["options"]["max_attempts"] == 3);
    CHECK(j["done"] == detail::base64_encode(b.done));
    BatchState back = decode_batch_state(encode(b));
    CHECK(back.id == "b1");
    CHECK(back.total == 20);
    CHECK(back.counted(0));
    CHECK(back.counted(19));
    CHECK_FALSE(back.counted(1));
    CHECK(back.succeeded == 1);
    CHECK(back.dead == 1);
    CHECK(back.sealed);
    CHECK_FALSE(back.fired);
    CHECK(back.callback.task == "report");
    CHECK(back.callback.args["report"] == "monthly");
    CHECK(back.callback.queue == "reports");
    CHECK(back.callback.options.max_attempts == 3);
    CHECK(back.created_at_ms == b.created_at_ms);
}

TEST_CASE("batches: a bad record is an error naming the field", "[batches]") {
    auto bad = [](const std::string& text, const char* field) {
        INFO(text);
        CHECK_THROWS_WITH(decode_batch_state(text), Catch::Contains(field));
    };
    const std::string cb = R"("callback":{"task":"t"})";
    CHECK_NOTHROW(decode_batch_state(R"({"id":"b","total":3,)" + cb + "}"));
    bad(R"({"total":3,)" + cb + "}", "id");
    bad(R"({"id":"a b","total":3,)" + cb + "}", "id");
    bad(R"({"id":"b","total":-1,)" + cb + "}", "total");
    bad(R"({"id":"b","total":100001,)" + cb + "}", "total");
    bad(R"({"id":"b","total":3})", "callback");
    bad(R"({"id":"b","total":3,"callback":{}})", "task");
    bad(R"({"id":"b","total":3,"done":"!!",)" + cb + "}", "done");
    bad(R"({"id":"b","total":3,"done":"AAAA",)" + cb + "}", "done");  // 3 bytes for 3 jobs: too many bits
    bad(R"({"id":"b","total":3,"callback":{"task":"t","options":{"max_attempts":0}}})", "max_attempts");
    CHECK_THROWS_AS(decode_batch_state("{"), SerializationError);
}

TEST_CASE("batches: a job's place in its batch travels in the envelope and the record", "[batches]") {
    Job job;
    job.id = "j";
    job.task = "t";
    job.queue = "q";
    job.batch = BatchMember{"b1", 7};
    Job back = codec::decode_job(codec::encode(job));
    REQUIRE(back.batch);
    CHECK(back.batch->id == "b1");
    CHECK(back.batch->index == 7);
    auto envelope = [](const std::string& batch) {
        return R"({"id":"j","task":"t","options":{"batch":)" + batch + "}}";
    };
    CHECK_THROWS_AS(codec::decode_job(envelope(R"({"id":"b>1","index":0})")), SerializationError);
    CHECK_THROWS_AS(codec::decode_job(envelope(R"({"id":"b1","index":-1})")), SerializationError);
    CHECK_THROWS_AS(codec::decode_job(envelope(R"({"id":"b1","index":100000})")), SerializationError);
    CHECK_THROWS_AS(codec::decode_job(envelope(R"("b1")")), SerializationError);

    JobStatus s;
    s.id = "j";
    s.batch = BatchMember{"b1", 3};
    CHECK(codec::decode_status(codec::encode(s)).batch.value().index == 3);
}
