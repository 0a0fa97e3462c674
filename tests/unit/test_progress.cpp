// Progress reports: what JobContext::progress hands the worker, and the record's wire form.
#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

#include "naq/codec.hpp"
#include "naq/errors.hpp"
#include "naq/task_registry.hpp"

using namespace naq;

TEST_CASE("progress: reports are clamped to 0..1, NaN is 0, the message is cut to 1,024 bytes", "[progress]") {
    std::vector<JobProgress> seen;
    JobContext ctx("j1", "q", "t", 1, 1, std::make_shared<CancelState>(),
                   [&seen](const JobProgress& p) { seen.push_back(p); });
    ctx.progress(0.4, "rendered 4/10 pages");
    ctx.progress(-3);
    ctx.progress(7.5, std::string(5000, 'x'));
    ctx.progress(std::nan(""));
    REQUIRE(seen.size() == 4);
    CHECK(seen[0].fraction == 0.4);
    CHECK(seen[0].message == "rendered 4/10 pages");
    CHECK(seen[0].at_ms > 0);
    CHECK(seen[1].fraction == 0);
    CHECK(seen[2].fraction == 1);
    CHECK(seen[2].message.size() == 1024);
    CHECK(seen[3].fraction == 0);
    // A context without a sink (a test calling a handler directly) accepts reports and drops them.
    JobContext bare("j2", "q", "t", 1, 1, std::make_shared<CancelState>());
    CHECK_NOTHROW(bare.progress(0.5, "ignored"));
}

TEST_CASE("progress: the job record carries the last report and reads it back", "[progress]") {
    JobStatus s;
    s.id = "j1";
    s.queue = "q";
    s.task = "t";
    s.state = JobState::running;
    CHECK(Json::parse(codec::encode(s)).count("progress") == 0);  // absent until a report
    s.progress = JobProgress{0.25, "a \"quoted\" <step>", 1'700'000'000'000};
    Json j = Json::parse(codec::encode(s));
    CHECK(j["progress"] == Json{{"fraction", 0.25}, {"message", "a \"quoted\" <step>"}, {"at", 1'700'000'000'000}});
    CHECK(codec::to_json(s)["progress"] == j["progress"]);
    JobStatus back = codec::decode_status(codec::encode(s));
    REQUIRE(back.progress);
    CHECK(back.progress->fraction == 0.25);
    CHECK(back.progress->message == s.progress->message);
    CHECK(back.progress->at_ms == s.progress->at_ms);
    CHECK_THROWS_WITH(codec::decode_status(R"({"id":"j","state":"running","progress":[1]})"),
                      "job status: field 'progress' must be an object");
    CHECK_THROWS_WITH(codec::decode_status(R"({"id":"j","state":"running","progress":{"fraction":"half"}})"),
                      "job status: field 'progress.fraction' must be a number");
}
