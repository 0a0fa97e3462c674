// Event and worker status records: wire form, round trips, subjects.
#include <catch2/catch.hpp>

#include "events/event_batching.hpp"
#include "naq/errors.hpp"
#include "naq/events.hpp"
#include "naq/names.hpp"
#include "naq/worker_status.hpp"

using namespace naq;

namespace {
// The "failed" event of attempt `attempt` of job `id` (queue "emails", task "send").
Event failed_event(const std::string& id, int attempt) {
    Job job;
    job.id = id;
    job.queue = "emails";
    job.task = "send";
    return job_event(EventType::failed, job, attempt);
}
}  // namespace

TEST_CASE("events: the record is versioned JSON with the documented fields", "[events]") {
    Event e = failed_event("job-1", 2);
    e.at_ms = 1763911200150;
    e.worker = "host-1-abc";
    e.error = "SMTP \"timeout\"\nline 2";
    e.duration_ms = 12;
    Json j = Json::parse(encode_event(e));
    CHECK(j["v"] == 1);
    CHECK(j["type"] == "failed");
    CHECK(j["job_id"] == "job-1");
    CHECK(j["queue"] == "emails");
    CHECK(j["task"] == "send");
    CHECK(j["worker"] == "host-1-abc");
    CHECK(j["attempt"] == 2);
    CHECK(j["at"] == 1763911200150);
    CHECK(j["error"] == "SMTP \"timeout\"\nline 2");
    CHECK(j["duration_ms"] == 12);
    CHECK_FALSE(j.contains("delay_ms"));
    CHECK_FALSE(j.contains("data"));

    Event back = decode_event(encode_event(e));
    CHECK(back.type == EventType::failed);
    CHECK(back.job_id == "job-1");
    CHECK(back.error == e.error);
    CHECK(back.duration_ms == std::optional<int64_t>(12));
    CHECK_FALSE(back.delay_ms);
}

TEST_CASE("events: a publisher's numbering shows the events that were lost", "[events]") {
    Event e = failed_event("job-1", 1);
    e.source = "host-7-a1b2c3";
    e.source_seq = 41;
    Json j = Json::parse(encode_event(e));
    CHECK(j["src"] == "host-7-a1b2c3");
    CHECK(j["n"] == 41);
    Event back = decode_event(encode_event(e));
    CHECK(back.source == e.source);
    CHECK(back.source_seq == 41);
    CHECK_FALSE(Json::parse(encode_event(failed_event("job-2", 1))).contains("src"));  // unnumbered: omitted

    auto numbered = [](std::string source, uint64_t n) {
        Event x = failed_event("job-" + std::to_string(n), 1);
        x.source = std::move(source);
        x.source_seq = n;
        return x;
    };
    // Publisher a: 1..6 without 3 and 4, seen out of order and 5 twice; b: 10, 12; one unnumbered.
    std::vector<Event> seen = {numbered("a", 2), numbered("a", 1),  numbered("a", 5),  numbered("a", 6),
                               numbered("a", 5), numbered("b", 10), numbered("b", 12), failed_event("x", 1)};
    EventGaps gaps = count_event_gaps(seen);
    CHECK(gaps.events == 8);
    CHECK(gaps.sources == 2);
    CHECK(gaps.missing == 3);
    CHECK(count_event_gaps({}).missing == 0);
}

TEST_CASE("events: an error text that is not UTF-8 still makes a valid event", "[events][hostile]") {
    Event e = failed_event("job-2", 1);
    e.error = std::string("bad \xff\xfe bytes, ok \xc3\xa9, ctl \x01");
    std::string text = encode_event(e);
    Json j = Json::parse(text);  // throws on invalid UTF-8: the event would be unreadable
    CHECK(j["error"] == "bad \xef\xbf\xbd\xef\xbf\xbd bytes, ok \xc3\xa9, ctl \x01");
    CHECK(decode_event(text).error == j["error"].get<std::string>());
}

TEST_CASE("events: every type name round-trips and unknown ones are errors", "[events]") {
    for (EventType t : all_event_types()) CHECK(event_type_from_string(to_string(t)) == t);
    CHECK(all_event_types().size() == 18);
    CHECK_THROWS_AS(event_type_from_string("exploded"), InvalidArgument);
    CHECK_THROWS_AS(decode_event(R"({"v":1,"type":"exploded","at":1})"), SerializationError);
    CHECK_THROWS_AS(decode_event("not json"), SerializationError);
    CHECK_THROWS_AS(decode_event(R"({"v":2,"type":"started"})"), SerializationError);
    CHECK_THROWS_AS(decode_event(R"({"v":1,"type":"started","attempt":"one"})"), SerializationError);
}

TEST_CASE("events: subjects allow filtering by queue, type and id", "[events]") {
    Config c;
    c.jetstream.prefix = "p";
    Job job;
    job.id = "j1";
    job.queue = "emails";
    CHECK(event_subject_for(c, job_event(EventType::retry_scheduled, job)) == "p.events.emails.retry_scheduled.j1");
    Event w;
    w.type = EventType::worker_started;
    w.worker = "host.example.com-42-a1b2c3";
    CHECK(event_subject_for(c, w) == "p.events._worker.worker_started.host_example_com-42-a1b2c3");
    Event s;
    s.type = EventType::schedule_fired;
    s.schedule_id = "nightly";
    CHECK(event_subject_for(c, s) == "p.events._scheduler.schedule_fired.nightly");
    CHECK(names::events_filter(c, "emails", "", "") == "p.events.emails.*.*");
    CHECK(names::events_filter(c, "", "succeeded", "j1") == "p.events.*.succeeded.j1");
    CHECK(names::to_token("a.b c*>") == "a_b_c__");
}

TEST_CASE("worker status: the record round-trips", "[workers]") {
    WorkerStatus s;
    s.id = "host-42-abcdef";
    s.state = WorkerState::busy;
    s.host = "host";
    s.pid = 42;
    s.queues = {"a", "b"};
    s.concurrency = 8;
    s.in_flight = {"j1", "j2"};
    s.succeeded = 10;
    s.failed = 3;
    s.retried = 2;
    s.dead = 1;
    s.version = "0.1.0";
    s.started_at_ms = 1000;
    s.heartbeat_at_ms = 2000;
    s.heartbeat_interval_ms = 5000;
    Json j = Json::parse(encode(s));
    CHECK(j["v"] == 1);
    CHECK(j["state"] == "busy");
    CHECK(j["in_flight"] == Json::array({"j1", "j2"}));
    WorkerStatus back = decode_worker_status(encode(s));
    CHECK(back.id == s.id);
    CHECK(back.state == WorkerState::busy);
    CHECK(back.queues == s.queues);
    CHECK(back.in_flight == s.in_flight);
    CHECK(back.succeeded == 10);
    CHECK(back.dead == 1);
    CHECK(back.heartbeat_at_ms == 2000);
    CHECK_THROWS_AS(decode_worker_status(R"({"v":1,"state":"idle"})"), SerializationError);
    CHECK_THROWS_AS(decode_worker_status(R"({"v":1,"id":"w","state":"dancing"})"), SerializationError);
    CHECK(names::worker_key("host.example.com-1-ab") == "host_example_com-1-ab");
}

namespace {

detail::Item item(const std::string& queue, EventType type, const std::string& id) {
    Event e;
    e.type = type;
    e.queue = queue;
    e.job_id = id;
    e.at_ms = 1;
    return detail::make_item(e);
}

// The (id, type) sequence a reader sees when it reads `messages` in order.
std::vector<std::pair<std::string, std::string>> replay(const std::vector<detail::Outgoing>& messages) {
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& m : messages) {
        for (const auto& e : decode_event_message(m.payload)) out.emplace_back(e.job_id, to_string(e.type));
    }
    return out;
}

std::vector<std::string> of_id(const std::vector<std::pair<std::string, std::string>>& seq, const std::string& id) {
    std::vector<std::string> out;
    for (const auto& [i, t] : seq) {
        if (i == id) out.push_back(t);
    }
    return out;
}

}  // namespace

TEST_CASE("events: a lone event travels on its exact subject as a plain record", "[events]") {
    Config c;
    c.jetstream.prefix = "p";
    auto msgs = detail::group(c, {item("emails", EventType::started, "j1")});
    REQUIRE(msgs.size() == 1);
    CHECK(msgs[0].subject == "p.events.emails.started.j1");
    CHECK(Json::parse(msgs[0].payload)["job_id"] == "j1");
    CHECK(msgs[0].events == 1);
}

TEST_CASE("events: many jobs' events share few messages and each job keeps its order", "[events]") {
    Config c;
    c.jetstream.prefix = "p";
    std::vector<detail::Item> items;
    // 10 jobs running at once: started ones interleave with finished ones, as in a worker.
    for (int i = 0; i < 200; ++i) {
        items.push_back(item("q", EventType::started, "j" + std::to_string(i)));
        if (i >= 10) items.push_back(item("q", EventType::succeeded, "j" + std::to_string(i - 10)));
    }
    auto msgs = detail::group(c, items);
    CHECK(msgs.size() <= 4);
    for (const auto& m : msgs) {
        if (m.events > 1) CHECK(m.subject.substr(m.subject.rfind('.')) == "._batch");
    }
    auto seq = replay(msgs);
    CHECK(seq.size() == items.size());
    for (int i = 0; i < 190; ++i) {
        CHECK(of_id(seq, "j" + std::to_string(i)) == std::vector<std::string>{"started", "succeeded"});
    }
}

TEST_CASE("events: a job with repeated types in one slice keeps its order", "[events]") {
    Config c;
    std::vector<detail::Item> items{
        item("q", EventType::started, "a"),      item("q", EventType::started, "b"),
        item("q", EventType::failed, "a"),       item("q", EventType::retry_scheduled, "a"),
        item("q", EventType::succeeded, "b"),    item("q", EventType::started, "a"),
        item("q", EventType::failed, "a"),       item("q", EventType::dead_lettered, "a"),
        item("other", EventType::enqueued, "x"),
    };
    auto seq = replay(detail::group(c, items));
    CHECK(of_id(seq, "a") ==
          std::vector<std::string>{"started", "failed", "retry_scheduled", "started", "failed", "dead_lettered"});
    CHECK(of_id(seq, "b") == std::vector<std::string>{"started", "succeeded"});
    CHECK(of_id(seq, "x") == std::vector<std::string>{"enqueued"});
}

TEST_CASE("events: batches are split at the size limits", "[events]") {
    Config c;
    std::vector<detail::Item> items;
    for (int i = 0; i < 25; ++i) items.push_back(item("q", EventType::enqueued, "j" + std::to_string(i)));
    auto msgs = detail::group(c, items, 10);
    REQUIRE(msgs.size() == 3);
    CHECK(msgs[0].events == 10);
    CHECK(msgs[2].events == 5);
    CHECK(replay(msgs).size() == 25);
    CHECK_THROWS_AS(decode_event_message(R"({"v":1,"events":[{"v":1,"type":"bogus"}]})"), SerializationError);
}
