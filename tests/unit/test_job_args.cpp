// Job args as the worker holds them: the envelope's text kept byte for byte, parsed only when a
// handler asks, keys in the order they were sent; and the decoder that checks them unbuilt.
#include <catch2/catch.hpp>

#include <string>
#include <thread>
#include <vector>

#include "naq/codec.hpp"
#include "naq/errors.hpp"
#include "naq/job_args.hpp"
#include "naq/task_registry.hpp"

using namespace naq;
using Catch::Matchers::Contains;

TEST_CASE("job args: decoded args are the text that was sent, unparsed until asked", "[args]") {
    const std::string sent = R"({"x":1, "n":null,"f":1.5,"s":"\u00e9\n","a":[3,2,1]})";
    Job job = codec::decode_job(R"({"id":"j1","task":"echo","args": )" + sent + R"( ,"queue":"q"})");
    CHECK(job.args.text() == sent);
    CHECK_FALSE(job.args.parsed());
    const Json& value = job.args.json();
    CHECK(job.args.parsed());
    // nlohmann's ordered map: the producer's key order survives the parse and the dump.
    CHECK(value.dump() == R"({"x":1,"n":null,"f":1.5,"s":"é\n","a":[3,2,1]})");
    CHECK(value["f"] == 1.5);
}

TEST_CASE("job args: scalar and array args keep their text too", "[args]") {
    CHECK(codec::decode_job(R"({"id":"j","task":"t","args":"hi" })").args.text() == R"("hi")");
    CHECK(codec::decode_job(R"({"id":"j","task":"t","args":-1.5e3})").args.text() == "-1.5e3");
    CHECK(codec::decode_job(R"({"id":"j","task":"t","args":[{"b":"]}"},[]] })").args.text() == R"([{"b":"]}"},[]])");
    // Bigger than any integer type: still JSON, kept as sent.
    CHECK(codec::decode_job(R"({"id":"j","task":"t","args":{"big":123456789012345678901234567890}})").args.text() ==
          R"({"big":123456789012345678901234567890})");
}

TEST_CASE("job args: an envelope is checked whole although its args are not built", "[args]") {
    const char* bad[] = {
        R"({"id":"j","task":"t","args":{"a":}})",
        R"({"id":"j","task":"t","args":{"a":1,}})",
        R"({"id":"j","task":"t","args":[1 2]})",
        R"({"id":"j","task":"t","args":{"a":"\q"}})",
        R"({"id":"j","task":"t","args":{"a":01}})",
        R"({"id":"j","task":"t","args":{"a":nul}})",
        R"({"id":"j","task":"t","args":{"a":1.2.3}})",
        R"({"id":"j","task":"t","extra":[tru]})",
        R"({"id":"j","task":"t"} trailing)",
        R"({"id":"j","task":"t"}})",
        "{\"id\":\"j\",\"task\":\"t\",\"args\":\"\xff\xfe\"}",
    };
    for (const char* text : bad) {
        INFO(text);
        CHECK_THROWS_WITH(codec::decode_job(text), Contains("not valid JSON"));
    }
    CHECK_THROWS_WITH(codec::decode_job(R"("just a string")"), Contains("expected a JSON object"));
    std::string deep = R"({"id":"j","task":"t","args":)" + std::string(200, '[') + std::string(200, ']') + "}";
    CHECK_THROWS_WITH(codec::decode_job(deep), Contains("nested deeper than 128"));
}

TEST_CASE("job args: a job built from a value writes it and reads back the same text", "[args]") {
    Job job;
    job.id = "j";
    job.task = "t";
    job.args = {{"z", 1}, {"a", {1, 2}}};
    CHECK(job.args.parsed());
    CHECK(job.args.text() == R"({"z":1,"a":[1,2]})");
    Job back = codec::decode_job(codec::encode(job));
    CHECK(back.args.text() == job.args.text());
    CHECK(back.args == job.args);
    CHECK(JobArgs().text() == "{}");
}

TEST_CASE("job args: a handler taking Json gets them parsed, one taking JobArgs does not parse", "[args]") {
    TaskRegistry registry;
    registry.add("typed", [](JobContext&, const Json& args) -> Json { return args["n"]; });
    registry.add("raw", [](JobContext&, const JobArgs& args) -> Json { return args.text().size(); });
    JobContext ctx("j", "q", "t", 1, 1, std::make_shared<CancelState>());
    JobArgs typed_args = JobArgs::from_text(R"({"n":7})");
    CHECK((*registry.find("typed"))(ctx, typed_args) == 7);
    CHECK(typed_args.parsed());
    JobArgs raw_args = JobArgs::from_text(R"({"n":7})");
    CHECK((*registry.find("raw"))(ctx, raw_args) == 7);
    CHECK_FALSE(raw_args.parsed());
}

TEST_CASE("job args: copies share one parse, made once however many threads ask", "[args]") {
    JobArgs args = JobArgs::from_text(R"({"k":[1,2,3]})");
    std::vector<std::thread> threads;
    std::vector<const Json*> seen(8);
    for (std::size_t i = 0; i < seen.size(); ++i) {
        threads.emplace_back([&, i] {
            JobArgs copy = args;
            seen[i] = &copy.json();
        });
    }
    for (auto& t : threads) t.join();
    for (const Json* p : seen) CHECK(p == &args.json());
    CHECK(args.json()["k"][2] == 3);
}

TEST_CASE("job args: text that was never checked fails to parse with a SerializationError", "[args]") {
    JobArgs args = JobArgs::from_text("{oops");
    CHECK_THROWS_AS(args.json(), SerializationError);
    CHECK(args.text() == "{oops");
}

TEST_CASE("job args: a large envelope decodes the same as a small one, on any thread", "[args]") {
    const std::string big_value(300'000, 'x');
    const std::string args = R"({"blob":")" + big_value + R"(","k":1})";
    const std::string text = R"({"id":"big","task":"t","args":)" + args + "}";
    for (int i = 0; i < 2; ++i) CHECK(codec::decode_job(text).args.text() == args);
    std::thread other([&] { CHECK(codec::decode_job(text).args.json()["k"] == 1); });
    other.join();
    CHECK(codec::decode_job(R"({"id":"small","task":"t","args":[1]})").args.text() == "[1]");  // after a big one
}
