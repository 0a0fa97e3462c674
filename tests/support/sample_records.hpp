// Records with every field set to something other than its default, for the codec tests: what
// a round trip must keep and what the hand-written encoders must write as nlohmann would.
#pragma once

#include "naq/job.hpp"

namespace naq::test {

/// A job envelope with every option set (no history: that comes from a requeue).
inline Job full_job() {
    Job job;
    job.id = new_job_id();
    job.queue = "emails";
    job.task = "send_email";
    job.args = {{"to", "a@b.c"}, {"n", -3}, {"pi", 3.25}, {"list", {1, "two", nullptr}}, {"nested", {{"z", true}}}};
    job.enqueued_at_ms = 1'700'000'000'123;
    job.max_attempts = 5;
    job.backoff = {BackoffKind::linear, Millis(250), Millis(10'000), false};
    job.timeout = Millis(30'000);
    job.result_ttl = Millis(60'000);
    job.depends_on = {"a", "b-2"};
    return job;
}

/// The status record of a job waiting for its third attempt after two failed ones.
inline JobStatus retrying_status() {
    JobStatus s;
    s.id = "j1";
    s.queue = "q";
    s.task = "t";
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
    return s;
}

}  // namespace naq::test
