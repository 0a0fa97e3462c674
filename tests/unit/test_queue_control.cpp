// The queue control record: its wire form and what a reader makes of bad ones.
#include <catch2/catch.hpp>

#include "naq/errors.hpp"
#include "naq/names.hpp"
#include "naq/queue_control.hpp"

using namespace naq;

TEST_CASE("queue control: the record is versioned JSON and round-trips", "[queue_control]") {
    QueueControl c{.queue = "emails",
                   .paused = true,
                   .reason = "db <migration> \"now\"",
                   .changed_by = "h-1",
                   .changed_at_ms = 1'700'000'000'000};
    Json j = Json::parse(encode(c));
    CHECK(j == Json{{"v", 1},
                    {"queue", "emails"},
                    {"paused", true},
                    {"reason", "db <migration> \"now\""},
                    {"by", "h-1"},
                    {"at", 1'700'000'000'000}});
    QueueControl back = decode_queue_control(encode(c));
    CHECK(back.queue == c.queue);
    CHECK(back.paused);
    CHECK(back.reason == c.reason);
    CHECK(back.changed_by == c.changed_by);
    CHECK(back.changed_at_ms == c.changed_at_ms);
    // A foreign writer may leave out everything but the queue: not paused.
    CHECK_FALSE(decode_queue_control(R"({"queue":"q"})").paused);
    CHECK(decode_queue_control(R"({"queue":"q","paused":true})").paused);
}

TEST_CASE("queue control: bad records are errors that name the field", "[queue_control][hostile]") {
    auto error_of = [](std::string_view text) {
        try {
            decode_queue_control(text);
        } catch (const SerializationError& e) {
            return std::string(e.what());
        }
        return std::string("no error");
    };
    CHECK(error_of(R"({"paused":true})") == "queue control: field 'queue' is missing");
    CHECK(error_of(R"({"queue":"q","paused":"yes"})") == "queue control: field 'paused' must be true or false");
    CHECK(error_of(R"({"queue":"q","at":"now"})") == "queue control: field 'at' must be an integer");
    CHECK(error_of("[[[[") != "no error");
    CHECK(error_of(std::string(200, '[')) != "no error");
    CHECK(error_of("\xff\xfe") != "no error");
    CHECK(names::queues_bucket(Config{}) == "naq_queues");
}
