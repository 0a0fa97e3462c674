// The batch counter's thread (see batch_counter.hpp).
#include "batch_counter.hpp"

#include <map>

namespace naq {

BatchCounter::BatchCounter(const Config& config, const WorkerLog& log)
    : config_(config), log_(log), thread_([this] { run(); }) {}

BatchCounter::~BatchCounter() { stop(Millis(0)); }

void BatchCounter::count(const BatchMember& member, JobState state, Then then) {
    {
        std::lock_guard lock(mutex_);
        if (!stopping_) {
            pending_.push_back({member, state, std::move(then)});
            wake_.notify_all();
            return;
        }
    }
    then("the worker is stopping");  // stopped: nothing would ever count it
}

void BatchCounter::stop(Millis timeout) {
    {
        std::unique_lock lock(mutex_);
        if (stopping_ && !thread_.joinable()) return;
        // Give the thread `timeout` to count what is queued; then it hands the rest back.
        wake_.wait_for(lock, timeout, [this] { return pending_.empty(); });
        stopping_ = true;
    }
    wake_.notify_one();
    if (thread_.joinable()) thread_.join();
}

void BatchCounter::run() {
    std::vector<Pending> round;
    while (true) {
        {
            std::unique_lock lock(mutex_);
            wake_.wait(lock, [this] { return stopping_ || !pending_.empty(); });
            if (stopping_) {
                round.swap(pending_);
                lock.unlock();
                for (auto& p : round) p.then("the worker is stopping");
                return;
            }
            // Everything that finished while the last round was written goes in this one.
            round.swap(pending_);
        }
        write(round);
        round.clear();
        wake_.notify_all();  // stop() waits for an empty queue
    }
}

void BatchCounter::write(std::vector<Pending>& round) {
    std::map<std::string, std::vector<detail::Batches::Finished>> by_batch;
    for (const auto& p : round) by_batch[p.member.id].push_back({p.member.index, p.state});
    std::map<std::string, std::string> errors;
    for (const auto& [batch_id, jobs] : by_batch) {
        try {
            if (!batches_) batches_.emplace(config_);
            batches_->count(batch_id, jobs);
        } catch (const std::exception& e) {
            log_(spdlog::level::err, "batch {}: {} finished job(s) not counted ({}); handed back to count again",
                 batch_id, jobs.size(), e.what());
            errors[batch_id] = std::string("not counted in batch ") + batch_id + ": " + e.what();
        }
    }
    for (auto& p : round) {
        auto it = errors.find(p.member.id);
        p.then(it == errors.end() ? std::string() : it->second);
    }
}

}  // namespace naq
