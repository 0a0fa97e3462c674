#include "naq/dead_letters.hpp"

#include "core/byte_text.hpp"
#include "naq/codec.hpp"
#include "naq/errors.hpp"
#include "naq/jetstream.hpp"
#include "naq/names.hpp"
#include "naq/queue.hpp"
#include "results/job_records.hpp"

namespace naq {

DeadLetters::DeadLetters(const Config& config) : config_(config) { ensure_job_streams(config_); }

std::vector<DeadLetter> DeadLetters::list(const std::string& queue) const {
    if (!queue.empty()) names::check_token(queue, "queue name");  // a wildcard would act on every queue
    std::vector<DeadLetter> out;
    std::string filter = queue.empty() ? names::all_failed_subject(config_) : names::failed_subject(config_, queue);
    jetstream(config_).scan(names::failed_stream(config_), filter, [&](uint64_t seq, std::string_view data) {
        out.push_back(codec::decode_dead_letter(seq, data));
        return true;
    });
    return out;
}

DeadLetter DeadLetters::get(const std::string& job_id) const {
    names::check_job_id(job_id);
    std::optional<DeadLetter> found;
    for (auto& d : list()) {
        if (d.id == job_id) found = std::move(d);
    }
    if (!found) throw NotFound("no dead letter for job " + job_id);
    return *found;
}

void DeadLetters::requeue_letter(const DeadLetter& d) const {
    auto js = jetstream(config_);
    const Json& record = d.record;
    std::string queue = d.queue.empty() ? config_.queue.default_queue : d.queue;
    names::check_token(queue, "queue name");
    std::string body;
    std::string msg_id;
    Priority priority = Priority::normal;  // an undecodable job goes back to the normal level
    const std::string which = "dead letter " + std::to_string(d.sequence);
    if (record.contains("args_dropped") || record.contains("raw_size")) {
        throw SerializationError(which + " kept only part of its job (it was too big to store whole): cannot requeue");
    }
    if (record.contains("job") && record["job"].is_object()) {
        Job job = codec::decode_job(record["job"].dump(), queue);
        priority = job.priority;
        // The earlier life's errors travel with the job; attempts start again from 1.
        Json life = {
            {"requeued_at", now_ms()}, {"reason", d.reason}, {"errors", record.value("errors", Json::array())}};
        job.history.push_back(std::move(life));
        body = codec::encode(job);
        msg_id = job.id + ":requeue:" + std::to_string(d.sequence);
        // The new life starts with a queued record: no result, no error yet.
        detail::JobRecords(config_).put(detail::status_for(job, JobState::queued, now_ms()));
    } else if (record.contains("raw") && record["raw"].is_string()) {
        body = record["raw"].get<std::string>();  // undecodable: put back exactly as published
        msg_id = "requeue:" + std::to_string(d.sequence);
    } else if (record.contains("raw_base64") && record["raw_base64"].is_string()) {
        auto bytes = detail::base64_decode(record["raw_base64"].get<std::string>());
        if (!bytes) throw SerializationError(which + ": raw_base64 is not base64");
        body = std::move(*bytes);
        msg_id = "requeue:" + std::to_string(d.sequence);
    } else {
        throw SerializationError(which + " holds no job to requeue");
    }
    PublishOptions po;
    po.msg_id = msg_id;  // not the job id: that one is still inside the dedup window
    js.publish(names::queue_subject(config_, queue, priority), body, po);
    js.delete_message(names::failed_stream(config_), d.sequence);
}

std::string DeadLetters::requeue(const std::string& job_id) const {
    DeadLetter d = get(job_id);
    requeue_letter(d);
    return d.id;
}

std::size_t DeadLetters::requeue_all(const std::string& queue) const {
    std::size_t n = 0;
    for (const auto& d : list(queue)) {
        requeue_letter(d);
        ++n;
    }
    return n;
}

std::size_t DeadLetters::purge(const std::string& queue) const {
    if (!queue.empty()) names::check_token(queue, "queue name");
    std::string subject = queue.empty() ? std::string() : names::failed_subject(config_, queue);
    return static_cast<std::size_t>(jetstream(config_).purge(names::failed_stream(config_), subject));
}

}  // namespace naq
