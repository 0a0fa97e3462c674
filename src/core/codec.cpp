#include "naq/codec.hpp"

#include "naq/batch.hpp"

#include "core/job_limits.hpp"
#include "core/json_fields.hpp"
#include "json_writer.hpp"
#include "naq/errors.hpp"
#include "naq/names.hpp"

namespace naq::codec {

using namespace json_fields;

namespace {

// "key": ["id", ...], omitted when there are none.
void write_ids(detail::JsonWriter& w, std::string_view key, const std::vector<std::string>& ids) {
    if (ids.empty()) return;
    w.key(key);
    w.begin_array();
    for (const auto& id : ids) w.value(id);
    w.end_array();
}

Json backoff_json(const Backoff& b) {
    return {{"kind", to_string(b.kind)}, {"base_ms", b.base.count()}, {"max_ms", b.max.count()}, {"jitter", b.jitter}};
}

}  // namespace

Json to_json(const Job& job) {
    Json options = {{"max_attempts", job.max_attempts},
                    {"backoff", backoff_json(job.backoff)},
                    {"timeout_ms", job.timeout.count()}};
    if (job.result_ttl) options["result_ttl_ms"] = job.result_ttl->count();
    if (!job.depends_on.empty()) options["depends_on"] = job.depends_on;
    if (job.unique) options["unique"] = unique_json(*job.unique);
    if (job.batch) options["batch"] = batch_member_json(*job.batch);
    if (job.priority != Priority::normal) options["priority"] = to_string(job.priority);
    Json j = {{"v", kWireVersion},
              {"id", job.id},
              {"queue", job.queue},
              {"task", job.task},
              {"args", job.args.json()},
              {"enqueued_at", job.enqueued_at_ms},
              {"options", std::move(options)}};
    if (!job.history.empty()) j["history"] = job.history;
    return j;
}

// The encoders write the text directly (keys sorted), the same members as dump(to_json(x))
// but without building the object tree: they run once or more per job.
std::string encode(const Job& job) {
    detail::JsonWriter w(320);
    w.begin_object();
    w.key("args");
    w.raw_value(job.args.text());
    w.field("enqueued_at", job.enqueued_at_ms);
    if (!job.history.empty()) w.field("history", job.history);
    w.field("id", job.id);
    w.key("options");
    w.begin_object();
    w.key("backoff");
    w.begin_object();
    w.field("base_ms", static_cast<int64_t>(job.backoff.base.count()));
    w.field("jitter", job.backoff.jitter);
    w.field("kind", to_string(job.backoff.kind));
    w.field("max_ms", static_cast<int64_t>(job.backoff.max.count()));
    w.end_object();
    if (job.batch) w.field("batch", batch_member_json(*job.batch));
    write_ids(w, "depends_on", job.depends_on);
    w.field("max_attempts", job.max_attempts);
    if (job.priority != Priority::normal) w.field("priority", to_string(job.priority));
    if (job.result_ttl) w.field("result_ttl_ms", static_cast<int64_t>(job.result_ttl->count()));
    w.field("timeout_ms", static_cast<int64_t>(job.timeout.count()));
    if (job.unique) w.field("unique", unique_json(*job.unique));
    w.end_object();
    w.field("queue", job.queue);
    w.field("task", job.task);
    w.field("v", kWireVersion);
    w.end_object();
    return w.take();
}

Json progress_json(const JobProgress& p) { return {{"fraction", p.fraction}, {"message", p.message}, {"at", p.at_ms}}; }

Json batch_member_json(const BatchMember& b) { return {{"id", b.id}, {"index", b.index}}; }

BatchMember batch_member_from_json(const Json& j, std::string_view what) {
    if (!j.is_object()) bad_field(what, "batch", "must be an object");
    BatchMember b;
    b.id = req_job_id(j, "id", what);
    const int64_t index = opt_int(j, "index", what);
    if (index < 0 || index >= kMaxBatchJobs) {
        bad_field(what, "batch.index", "must be from 0 to " + std::to_string(kMaxBatchJobs - 1));
    }
    b.index = static_cast<uint32_t>(index);
    return b;
}

Json unique_json(const UniqueClaim& u) { return {{"key", u.key}, {"mode", to_string(u.until)}, {"until", u.until_ms}}; }

UniqueClaim unique_from_json(const Json& j, std::string_view what) {
    if (!j.is_object()) bad_field(what, "unique", "must be an object");
    UniqueClaim u;
    u.key = req_string(j, "key", what);
    if (!names::valid_unique_claim_key(u.key)) {
        bad_field(what, "unique.key", "must be \"<queue>.<64 lowercase hex digits>\" (names::unique_claim_key)");
    }
    u.until_ms = opt_int(j, "until", what);
    const std::string mode = opt_string(j, "mode", what);
    u.until = mode.empty() ? UniqueUntil::finished : unique_until_from_string(mode);
    return u;
}

Json to_json(const JobStatus& s) {
    Json errors = errors_json(s.errors);
    Json j = {{"v", kWireVersion},
              {"id", s.id},
              {"queue", s.queue},
              {"task", s.task},
              {"state", to_string(s.state)},
              {"attempt", s.attempt},
              {"max_attempts", s.max_attempts},
              {"enqueued_at", s.enqueued_at_ms},
              {"updated_at", s.updated_at_ms}};
    if (!s.worker.empty()) j["worker"] = s.worker;
    if (!s.error.empty()) j["error"] = s.error;
    if (s.started_at_ms != 0) j["started_at"] = s.started_at_ms;
    if (s.finished_at_ms != 0) j["finished_at"] = s.finished_at_ms;
    if (s.next_attempt_at_ms != 0) j["next_attempt_at"] = s.next_attempt_at_ms;
    if (!errors.empty()) j["errors"] = std::move(errors);
    if (s.state == JobState::succeeded) j["result"] = s.result;
    if (!s.depends_on.empty()) j["depends_on"] = s.depends_on;
    if (s.progress) j["progress"] = progress_json(*s.progress);
    if (s.unique) j["unique"] = unique_json(*s.unique);
    if (s.batch) j["batch"] = batch_member_json(*s.batch);
    if (s.priority != Priority::normal) j["priority"] = to_string(s.priority);
    return j;
}

std::string encode(const JobStatus& s) {
    detail::JsonWriter w(256);
    w.begin_object();
    w.field("attempt", s.attempt);
    if (s.batch) w.field("batch", batch_member_json(*s.batch));
    write_ids(w, "depends_on", s.depends_on);
    w.field("enqueued_at", s.enqueued_at_ms);
    if (!s.error.empty()) w.field("error", s.error);
    if (!s.errors.empty()) {
        w.key("errors");
        w.begin_array();
        for (const auto& e : s.errors) {
            w.begin_object();
            w.field("at", e.at_ms);
            w.field("attempt", e.attempt);
            w.field("error", e.error);
            w.field("worker", e.worker);
            w.end_object();
        }
        w.end_array();
    }
    if (s.finished_at_ms != 0) w.field("finished_at", s.finished_at_ms);
    w.field("id", s.id);
    w.field("max_attempts", s.max_attempts);
    if (s.next_attempt_at_ms != 0) w.field("next_attempt_at", s.next_attempt_at_ms);
    if (s.priority != Priority::normal) w.field("priority", to_string(s.priority));
    if (s.progress) w.field("progress", progress_json(*s.progress));
    w.field("queue", s.queue);
    if (s.state == JobState::succeeded) w.field("result", s.result);
    if (s.started_at_ms != 0) w.field("started_at", s.started_at_ms);
    w.field("state", to_string(s.state));
    w.field("task", s.task);
    if (s.unique) w.field("unique", unique_json(*s.unique));
    w.field("updated_at", s.updated_at_ms);
    w.field("v", kWireVersion);
    if (!s.worker.empty()) w.field("worker", s.worker);
    w.end_object();
    return w.take();
}

JobStatus decode_status(std::string_view text) {
    constexpr std::string_view what = "job status";
    Json j = parse(text, what, kMaxDepth + kEmbeddedJobDepth);  // the result may be the job's args
    JobStatus s;
    s.id = req_string(j, "id", what);
    s.queue = opt_string(j, "queue", what);
    s.task = opt_string(j, "task", what);
    s.state = job_state_from_string(req_string(j, "state", what));
    s.attempt = static_cast<int>(opt_int(j, "attempt", what));
    s.max_attempts = static_cast<int>(opt_int(j, "max_attempts", what, 1));
    s.worker = opt_string(j, "worker", what);
    s.error = opt_string(j, "error", what);
    s.enqueued_at_ms = opt_int(j, "enqueued_at", what);
    s.started_at_ms = opt_int(j, "started_at", what);
    s.finished_at_ms = opt_int(j, "finished_at", what);
    s.updated_at_ms = opt_int(j, "updated_at", what);
    s.next_attempt_at_ms = opt_int(j, "next_attempt_at", what);
    if (const Json* errors = find(j, "errors")) {
        if (!errors->is_array()) bad_field(what, "errors", "must be an array");
        for (const auto& e : *errors) {
            if (!e.is_object()) bad_field(what, "errors", "must hold objects");
            s.errors.push_back({static_cast<int>(opt_int(e, "attempt", what)), opt_string(e, "error", what),
                                opt_int(e, "at", what), opt_string(e, "worker", what)});
        }
    }
    if (s.state == JobState::succeeded) {
        if (const Json* result = find(j, "result")) s.result = *result;
    }
    if (const Json* deps = find(j, "depends_on")) {
        if (!deps->is_array()) bad_field(what, "depends_on", "must be an array of job ids");
        for (const auto& d : *deps) {
            if (!d.is_string()) bad_field(what, "depends_on", "must be an array of job ids");
            s.depends_on.push_back(d.get<std::string>());
        }
    }
    if (const Json* p = find(j, "progress")) {
        if (!p->is_object()) bad_field(what, "progress", "must be an object");
        const Json* fraction = find(*p, "fraction");
        if (fraction != nullptr && !fraction->is_number()) bad_field(what, "progress.fraction", "must be a number");
        s.progress = JobProgress{fraction != nullptr ? fraction->get<double>() : 0.0, opt_string(*p, "message", what),
                                 opt_int(*p, "at", what)};
    }
    if (const Json* u = find(j, "unique")) s.unique = unique_from_json(*u, what);
    if (const Json* b = find(j, "batch")) s.batch = batch_member_from_json(*b, what);
    s.priority = json_fields::opt_priority(j, "priority", what);
    return s;
}

Json to_json(const JobResult& r) {
    Json j = {{"v", kWireVersion},
              {"id", r.id},
              {"status", r.ok ? "succeeded" : "failed"},
              {"attempt", r.attempt},
              {"started_at", r.started_at_ms},
              {"finished_at", r.finished_at_ms}};
    if (r.ok) j["result"] = r.result;
    if (!r.error.empty()) j["error"] = r.error;
    if (!r.worker.empty()) j["worker"] = r.worker;
    return j;
}

std::string encode(const JobResult& r) {
    detail::JsonWriter w(192);
    w.begin_object();
    w.field("attempt", r.attempt);
    if (!r.error.empty()) w.field("error", r.error);
    w.field("finished_at", r.finished_at_ms);
    w.field("id", r.id);
    if (r.ok) w.field("result", r.result);
    w.field("started_at", r.started_at_ms);
    w.field("status", r.ok ? "succeeded" : "failed");
    w.field("v", kWireVersion);
    if (!r.worker.empty()) w.field("worker", r.worker);
    w.end_object();
    return w.take();
}

JobResult decode_result(std::string_view text) {
    constexpr std::string_view what = "job result";
    Json j = parse(text, what, kMaxDepth + kEmbeddedJobDepth);  // the result may be the job's args
    JobResult r;
    r.id = req_string(j, "id", what);
    std::string status = req_string(j, "status", what);
    if (status != "succeeded" && status != "failed") bad_field(what, "status", "must be succeeded or failed");
    r.ok = status == "succeeded";
    if (const Json* v = find(j, "result")) r.result = *v;
    r.error = opt_string(j, "error", what);
    r.attempt = static_cast<int>(opt_int(j, "attempt", what));
    r.worker = opt_string(j, "worker", what);
    r.started_at_ms = opt_int(j, "started_at", what);
    r.finished_at_ms = opt_int(j, "finished_at", what);
    return r;
}

}  // namespace naq::codec
