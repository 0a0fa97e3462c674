#include "dashboard/live_feed.hpp"

#include <spdlog/spdlog.h>

#include "naq/errors.hpp"
#include "naq/events.hpp"
#include "naq/jetstream.hpp"
#include "naq/names.hpp"

namespace naq::dashboard {

namespace {

// At start the recent-jobs table is filled from at most this many stored event messages: enough
// for 100 jobs of many queues, bounded on a stream of any size.
constexpr uint64_t kPrimeMessages = 5000;

const char* state_after(EventType type) {
    switch (type) {
        case EventType::enqueued: return "queued";
        case EventType::started: return "running";
        case EventType::succeeded: return "succeeded";
        case EventType::failed: return "failed";
        case EventType::retry_scheduled: return "retrying";
        case EventType::dead_lettered: return "dead";
        case EventType::cancelled: return "cancelled";
        default: return nullptr;  // not about a job
    }
}

}  // namespace

void RecentJobs::apply(const Event& e) {
    const char* state = state_after(e.type);
    if (state == nullptr || e.job_id.empty() || e.queue.empty()) return;
    auto it = queues_.find(e.queue);
    if (it == queues_.end()) {
        if (queues_.size() >= kMaxQueues) return;
        it = queues_.emplace(e.queue, Queue{}).first;
    }
    auto& jobs = it->second.jobs;
    RecentJob job;
    for (auto j = jobs.begin(); j != jobs.end(); ++j) {
        if (j->id == e.job_id) {
            job = std::move(*j);
            jobs.erase(j);
            break;
        }
    }
    job.id = e.job_id;
    if (!e.task.empty()) job.task = e.task;
    job.state = state;
    if (e.attempt > 0) job.attempt = e.attempt;
    job.at_ms = std::max(job.at_ms, e.at_ms);
    if (e.duration_ms) job.duration_ms = e.duration_ms;
    if (!e.error.empty()) job.error = e.error;
    jobs.push_front(std::move(job));
    if (jobs.size() > kPerQueue) jobs.pop_back();
}

Json RecentJobs::of_queue(const std::string& queue) const {
    Json out = Json::array();
    auto it = queues_.find(queue);
    if (it == queues_.end()) return out;
    for (const auto& j : it->second.jobs) {
        out.push_back({{"id", j.id},
                       {"task", j.task},
                       {"state", j.state},
                       {"attempt", j.attempt},
                       {"at", j.at_ms},
                       {"duration_ms", j.duration_ms ? Json(*j.duration_ms) : Json()},
                       {"error", j.error.empty() ? Json() : Json(j.error)}});
    }
    return out;
}

void Dependents::apply(const Event& e) {
    if (e.type != EventType::enqueued || !e.data.is_object()) return;
    auto deps = e.data.find("depends_on");
    if (deps == e.data.end() || !deps->is_array()) return;
    for (const auto& d : *deps) {
        if (!d.is_string()) continue;
        const std::string& dependency = d.get_ref<const std::string&>();
        auto [it, added] = dependents_.try_emplace(dependency);
        if (added) {
            order_.push_back(dependency);
            if (order_.size() > kMaxJobs) {
                dependents_.erase(order_.front());
                order_.pop_front();
            }
        }
        if (it->second.size() < kMaxPerJob) it->second.push_back(e.job_id);
    }
}

Json Dependents::of(const std::string& job_id) const {
    auto it = dependents_.find(job_id);
    return it == dependents_.end() ? Json::array() : Json(it->second);
}

LiveFeed::LiveFeed(const Config& config) : config_(config) {
    // Prime from the tail of the stream (one bounded read), then follow what arrives.
    try {
        ensure_events_stream(config_);
        auto js = jetstream(config_);
        const std::string stream = names::events_stream(config_);
        StreamState state = js.stream_state(stream);
        if (state.messages > 0) {
            ReadSpec spec;
            spec.stream = stream;
            spec.start_sequence =
                std::max(state.first_sequence,
                         state.last_sequence > kPrimeMessages ? state.last_sequence - kPrimeMessages + 1 : uint64_t{1});
            StreamReader reader = js.read(spec);
            for (uint64_t left = std::min(reader.initial_pending(), kPrimeMessages); left > 0; --left) {
                auto m = reader.next(config_.nats.request_timeout);
                if (!m) break;
                try {
                    for (const auto& e : decode_event_message(m->data)) {
                        recent_.apply(e);
                        dependents_.apply(e);
                    }
                } catch (const SerializationError&) {
                    // not an event record: nothing to show
                }
            }
        }
    } catch (const Error& e) {
        spdlog::warn("dashboard: recent jobs start empty: {}", e.what());
    }
    thread_ = std::thread([this] { follow(); });
}

LiveFeed::~LiveFeed() {
    stop();
    if (thread_.joinable()) thread_.join();
}

void LiveFeed::stop() {
    {
        std::lock_guard lock(mutex_);
        stop_ = true;
    }
    changed_.notify_all();
}

bool LiveFeed::stopping() const {
    std::lock_guard lock(mutex_);
    return stop_;
}

void LiveFeed::follow() {
    while (!stopping()) {
        try {
            EventStream stream(config_, {.only_new = true});
            while (!stopping()) {
                if (auto e = stream.next(Millis(250))) add(*e);
            }
        } catch (const Error& e) {
            // The server is away: say so once per try, and subscribe again (events of the gap
            // are not shown live; the pages re-read their data).
            spdlog::warn("dashboard: event stream: {}; retrying in 1 s", e.what());
            std::unique_lock lock(mutex_);
            changed_.wait_for(lock, std::chrono::seconds(1), [this] { return stop_; });
        }
    }
}

void LiveFeed::add(const Event& event) {
    std::string json = encode_event(event);
    {
        std::lock_guard lock(mutex_);
        recent_.apply(event);
        dependents_.apply(event);
        ring_.push_back(std::move(json));
        if (ring_.size() > kRing) ring_.pop_front();
        ++newest_;
    }
    changed_.notify_all();
}

std::vector<std::string> LiveFeed::wait_after(uint64_t& cursor, Millis timeout) {
    std::unique_lock lock(mutex_);
    changed_.wait_for(lock, timeout, [&] { return stop_ || newest_ > cursor; });
    std::vector<std::string> out;
    if (stop_ || newest_ <= cursor) return out;
    const uint64_t oldest = newest_ - ring_.size() + 1;
    for (uint64_t n = std::max(cursor + 1, oldest); n <= newest_; ++n) out.push_back(ring_[n - oldest]);
    cursor = newest_;
    return out;
}

uint64_t LiveFeed::newest() const {
    std::lock_guard lock(mutex_);
    return newest_;
}

Json LiveFeed::dependents(const std::string& job_id) const {
    std::lock_guard lock(mutex_);
    return dependents_.of(job_id);
}

Json LiveFeed::recent_jobs(const std::string& queue) const {
    std::lock_guard lock(mutex_);
    return recent_.of_queue(queue);
}

}  // namespace naq::dashboard
