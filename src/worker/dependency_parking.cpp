// Parking jobs until their dependencies are settled (see dependency_parking.hpp).
#include "dependency_parking.hpp"

#include "hand_back.hpp"

#include <asio/post.hpp>

#include "naq/codec.hpp"
#include "naq/errors.hpp"
#include "naq/names.hpp"

namespace naq {

Dependencies DependencyParking::check(const Job& job, std::vector<std::string>& pending, std::string& failure) {
    pending.clear();
    for (const auto& dep : job.depends_on) {
        auto found = lookup_.find(dep);
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

void DependencyParking::park(const std::string& queue, Message msg, Job job, const std::vector<std::string>& pending) {
    uint64_t token = 0;
    auto p = std::make_unique<Parked>(Parked{queue, std::move(msg), std::move(job), {}});
    Parked* raw = p.get();
    {
        std::lock_guard lock(mutex_);
        token = next_token_++;
        parked_.emplace(token, std::move(p));
    }
    // Subscribe first, then look again: a dependency that finished in between is not missed.
    try {
        auto conn = connection(config_);
        for (const auto& dep : pending) {
            auto sub = conn.subscribe(lookup_.subject(dep), [this, token](std::string_view, std::string_view) {
                asio::post(pool_, [this, token] { recheck(token); });
            });
            std::lock_guard lock(mutex_);
            raw->watches.push_back(std::move(sub));
        }
    } catch (const Error& e) {
        // Unwatched, it would wait forever: hand it back to be checked again later.
        std::unique_ptr<Parked> unwatched;
        {
            std::lock_guard lock(mutex_);
            auto it = parked_.find(token);
            if (it == parked_.end()) return;  // handed back at shutdown meanwhile
            unwatched = std::move(it->second);
            parked_.erase(it);
        }
        log_(spdlog::level::warn, "job {}: watching its dependencies failed ({}); retrying later", unwatched->job.id,
             e.what());
        unwatched->watches.clear();
        hand_back(unwatched->msg, Millis(1000), log_, "job " + unwatched->job.id);
        return;
    }
    if (records_ != nullptr) records_->put_async(detail::status_for(raw->job, JobState::waiting, now_ms()));
    log_(spdlog::level::debug, "job {}: waiting for {} dependenc(ies)", raw->job.id, pending.size());
    asio::post(pool_, [this, token] { recheck(token); });
}

void DependencyParking::recheck(uint64_t token) {
    Parked* p = nullptr;
    {
        std::lock_guard lock(mutex_);
        auto it = parked_.find(token);
        if (it == parked_.end()) return;  // already resumed or handed back
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
            state = check(p->job, pending, failure);
        } catch (const Error& e) {
            log_(spdlog::level::warn, "job {}: dependency check failed ({}); waiting", p->job.id, e.what());
            state = Dependencies::pending;
        }
        std::lock_guard lock(mutex_);
        if (state == Dependencies::pending && p->dirty) {
            p->dirty = false;
            continue;
        }
        auto it = parked_.find(token);
        if (state == Dependencies::pending && !stopping_.load()) {
            p->checking = false;
            return;
        }
        if (it == parked_.end()) return;  // handed back at shutdown meanwhile
        owned = std::move(it->second);
        parked_.erase(it);
        break;
    }
    owned->watches.clear();
    if (state == Dependencies::pending) {  // shutting down: hand it back
        hand_back(owned->msg, Millis(0), log_, "job " + owned->job.id);
        return;
    }
    resume_(owned->msg, owned->job, state, failure);
}

void DependencyParking::extend_leases() {
    std::lock_guard guard(mutex_);
    for (auto& [token, p] : parked_) {
        try {
            p->msg.in_progress();
        } catch (const Error& e) {
            log_(spdlog::level::warn, "job {}: lease extension failed: {}", p->job.id, e.what());
        }
    }
}

void DependencyParking::hand_back_all() {
    std::map<uint64_t, std::unique_ptr<Parked>> all;
    {
        std::lock_guard lock(mutex_);
        for (auto it = parked_.begin(); it != parked_.end();) {
            if (it->second->checking) {
                ++it;  // its running recheck sees `stopping` and hands it back itself
            } else {
                all.emplace(it->first, std::move(it->second));
                it = parked_.erase(it);
            }
        }
    }
    for (auto& [token, p] : all) {
        p->watches.clear();
        hand_back(p->msg, Millis(0), log_, "job " + p->job.id);
    }
}

}  // namespace naq
