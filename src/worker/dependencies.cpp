// Jobs with depends_on: run once every dependency succeeded; fail (transitively) when one
// ended any other way. A job whose dependencies are unfinished is parked and woken by
// subscriptions on their status keys — no polling.
#include <asio/post.hpp>

#include "naq/codec.hpp"
#include "naq/errors.hpp"
#include "naq/names.hpp"
#include "results/status_lookup.hpp"
#include "worker_impl.hpp"

namespace naq {

Dependencies Worker::Impl::check_dependencies(const Job& job, std::vector<std::string>& pending,
                                              std::string& failure) {
    auto kv = kv_store(Bucket::job_status, config);
    pending.clear();
    for (const auto& dep : job.depends_on) {
        auto found = detail::find_status(kv, dep);
        if (!found) {
            failure = "dependency " + dep + " is unknown or its status expired";
            return Dependencies::failed;
        }
        const JobStatus& s = found->status;
        if (s.state == JobState::succeeded) continue;
        if (is_final(s.state)) {
            failure = "dependency " + dep + " ended " + to_string(s.state);
            return Dependencies::failed;
        }
        pending.push_back(dep);
    }
    return pending.empty() ? Dependencies::ready : Dependencies::pending;
}

void Worker::Impl::park(const std::string& queue, Message msg, Job job, const std::vector<std::string>& pending) {
    uint64_t token = 0;
    auto p = std::make_unique<Parked>(Parked{queue, std::move(msg), std::move(job), {}});
    Parked* raw = p.get();
    {
        std::lock_guard lock(parked_mutex);
        token = next_token++;
        parked.emplace(token, std::move(p));
    }
    // Subscribe first, then look again: a dependency that finished in between is not missed.
    auto conn = connection(config);
    for (const auto& dep : pending) {
        std::string subject = names::kv_subject(names::job_status_bucket(config), dep);
        auto sub = conn.subscribe(subject, [this, token](std::string_view, std::string_view) {
            asio::post(*pool, [this, token] { recheck_parked(token); });
        });
        std::lock_guard lock(parked_mutex);
        raw->watches.push_back(std::move(sub));
    }
    if (status_kv) {
        JobStatus s;
        s.id = raw->job.id;
        s.queue = raw->job.queue;
        s.task = raw->job.task;
        s.state = JobState::waiting;
        s.max_attempts = raw->job.max_attempts;
        s.enqueued_at_ms = raw->job.enqueued_at_ms;
        s.updated_at_ms = now_ms();
        status_kv->put_async(raw->job.id, codec::encode(s));
    }
    log(spdlog::level::debug, "job {}: waiting for {} dependenc(ies)", raw->job.id, pending.size());
    asio::post(*pool, [this, token] { recheck_parked(token); });
}

void Worker::Impl::recheck_parked(uint64_t token) {
    Parked* p = nullptr;
    {
        std::lock_guard lock(parked_mutex);
        auto it = parked.find(token);
        if (it == parked.end()) return;  // already resumed or handed back
        p = it->second.get();
        if (p->checking) {
            p->dirty = true;  // the running check looks again when it is done
            return;
        }
        p->checking = true;
    }
    std::vector<std::string> pending;
    std::string failure;
    Dependencies state = Dependencies::pending;
    std::unique_ptr<Parked> owned;
    while (true) {
        try {
            state = check_dependencies(p->job, pending, failure);
        } catch (const Error& e) {
            log(spdlog::level::warn, "job {}: dependency check failed ({}); waiting", p->job.id, e.what());
            state = Dependencies::pending;
        }
        std::lock_guard lock(parked_mutex);
        if (state == Dependencies::pending && p->dirty) {
            p->dirty = false;
            continue;
        }
        auto it = parked.find(token);
        if (state == Dependencies::pending && !stopping.load()) {
            p->checking = false;
            return;
        }
        if (it == parked.end()) return;  // handed back at shutdown meanwhile
        owned = std::move(it->second);
        parked.erase(it);
        break;
    }
    owned->watches.clear();
    if (state == Dependencies::pending) {  // shutting down: hand it back
        owned->msg.nak();
        return;
    }
    if (state == Dependencies::failed) {
        finish_unrun(owned->msg, owned->job, JobState::dependency_failed, failure);
        return;
    }
    {
        std::lock_guard lock(slot_mutex);
        --free_slots;  // it runs now: take a handler slot like a fetched job
    }
    run_job(owned->msg, owned->job);
    {
        std::lock_guard lock(slot_mutex);
        ++free_slots;
    }
    slot_cv.notify_all();
}

void Worker::Impl::hand_back_parked() {
    std::map<uint64_t, std::unique_ptr<Parked>> all;
    {
        std::lock_guard lock(parked_mutex);
        for (auto it = parked.begin(); it != parked.end();) {
            if (it->second->checking) {
                ++it;  // its running recheck sees `stopping` and hands it back itself
            } else {
                all.emplace(it->first, std::move(it->second));
                it = parked.erase(it);
            }
        }
    }
    for (auto& [token, p] : all) {
        p->watches.clear();
        try {
            p->msg.nak();
        } catch (const Error& e) {
            log(spdlog::level::warn, "job {}: hand back failed: {}", p->job.id, e.what());
        }
    }
}

}  // namespace naq
