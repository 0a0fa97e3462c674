// Job basics without a server: ids, backoff, state names, names and the error mapping.
#include <catch2/catch.hpp>

#include <set>

#include "connection/nats_check.hpp"
#include "naq/errors.hpp"
#include "naq/job.hpp"
#include "naq/names.hpp"

using namespace naq;

TEST_CASE("job: ids are UUIDv7, unique and time-ordered", "[job]") {
    std::set<std::string> ids;
    std::string prev;
    for (int i = 0; i < 2000; ++i) {
        std::string id = new_job_id();
        REQUIRE(id.size() == 36);
        CHECK(id[14] == '7');  // version nibble
        CHECK((id[19] == '8' || id[19] == '9' || id[19] == 'a' || id[19] == 'b'));
        CHECK(id.substr(0, 13) >= prev.substr(0, std::min<std::size_t>(prev.size(), 13)));
        prev = id;
        ids.insert(id);
    }
    CHECK(ids.size() == 2000);
}

TEST_CASE("job: backoff fixed, linear and exponential with cap and jitter", "[job]") {
    Backoff fixed{BackoffKind::fixed, Millis(100), Millis(1000), false};
    CHECK(fixed.delay_after(1, 0.5) == Millis(100));
    CHECK(fixed.delay_after(7, 0.5) == Millis(100));
    Backoff linear{BackoffKind::linear, Millis(100), Millis(350), false};
    CHECK(linear.delay_after(1, 0) == Millis(100));
    CHECK(linear.delay_after(3, 0) == Millis(300));
    CHECK(linear.delay_after(4, 0) == Millis(350));  // capped
    Backoff expo{BackoffKind::exponential, Millis(100), Millis(10'000), false};
    CHECK(expo.delay_after(1, 0) == Millis(100));
    CHECK(expo.delay_after(2, 0) == Millis(200));
    CHECK(expo.delay_after(4, 0) == Millis(800));
    CHECK(expo.delay_after(100, 0) == Millis(10'000));  // capped, no overflow
    Backoff jittered{BackoffKind::fixed, Millis(1000), Millis(1000), true};
    CHECK(jittered.delay_after(1, 0.0) == Millis(500));
    CHECK(jittered.delay_after(1, 0.999) >= Millis(999));
}

TEST_CASE("job: state names round-trip and final states are final", "[job]") {
    for (auto s : {JobState::queued, JobState::waiting, JobState::running, JobState::retrying, JobState::succeeded,
                   JobState::failed, JobState::dead, JobState::cancelled, JobState::dependency_failed}) {
        CHECK(job_state_from_string(to_string(s)) == s);
    }
    CHECK(is_final(JobState::succeeded));
    CHECK(is_final(JobState::dead));
    CHECK_FALSE(is_final(JobState::retrying));
    CHECK_THROWS_AS(job_state_from_string("done"), SerializationError);
}

TEST_CASE("names: everything derives from the prefix, tokens are validated", "[names]") {
    Config c;
    CHECK(names::jobs_stream(c) == "naq_jobs");
    CHECK(names::queue_subject(c, "emails") == "naq.queue.emails");
    CHECK(names::worker_consumer(c, "emails") == "naq-worker-emails");
    CHECK(names::failed_subject(c, "emails") == "naq.failed.emails");
    CHECK(names::results_bucket(c) == "naq_results");
    c.jetstream.prefix = "prod";
    CHECK(names::job_status_bucket(c) == "prod_job_status");
    CHECK(names::valid_token("emails_2-x"));
    CHECK_FALSE(names::valid_token("a.b"));
    CHECK_FALSE(names::valid_token("a b"));
    CHECK_FALSE(names::valid_token(""));
    CHECK_THROWS_AS(names::check_token("a*", "queue name"), InvalidArgument);
}

TEST_CASE("errors: every natsStatus maps to the right naq exception", "[errors]") {
    using detail::throw_nats_error;
    CHECK_THROWS_AS(throw_nats_error(NATS_TIMEOUT, "op"), Timeout);
    CHECK_THROWS_AS(throw_nats_error(NATS_NOT_FOUND, "op"), NotFound);
    CHECK_THROWS_AS(throw_nats_error(NATS_NO_SERVER, "op"), ConnectionError);
    CHECK_THROWS_AS(throw_nats_error(NATS_CONNECTION_CLOSED, "op"), ConnectionError);
    CHECK_THROWS_AS(throw_nats_error(NATS_NO_RESPONDERS, "op"), NotFound);
    CHECK_THROWS_AS(throw_nats_error(NATS_ERR, "op", 10059), NotFound);  // stream not found
    CHECK_THROWS_AS(throw_nats_error(NATS_ERR, "op", 10071), Conflict);  // wrong last sequence
    CHECK_THROWS_AS(throw_nats_error(NATS_ERR, "op", 10077), ApiError);  // maximum messages exceeded
    try {
        throw_nats_error(NATS_ERR, "publish to x", 10077);
    } catch (const ApiError& e) {
        CHECK(e.js_code() == 10077);
        CHECK(std::string(e.what()).find("publish to x") != std::string::npos);
    }
    CHECK_THROWS_WITH(throw_nats_error(NATS_TIMEOUT, "get key"),
                      Catch::Matchers::Contains("get key") && Catch::Matchers::Contains("Timeout"));
}
