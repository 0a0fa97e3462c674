// Concurrency limits per task (see task_gates.hpp).
#include "task_gates.hpp"

#include "naq/errors.hpp"
#include "naq/names.hpp"
#include "watch_loop.hpp"

namespace naq {

namespace {

// The longest a waiting job goes without a look at its task's room (a claim of a crashed worker
// lapses without a change anyone would watch).
constexpr Millis kLookAgain{1000};

}  // namespace

TaskGates::TaskGates(const Config& config, const WorkerLog& log, std::vector<std::string> queues, Resume resume)
    : config_(config), log_(log), queues_(std::move(queues)), resume_(std::move(resume)) {}

void TaskGates::set(const std::string& queue, const std::map<std::string, int>& limits) {
    std::lock_guard lock(mutex_);
    auto& known = limits_[queue];
    for (auto& [key, g] : gates_) {  // limits lifted: the gate lets everything in from now on
        if (key.first == queue && limits.count(key.second) == 0) g.limiter->set(QueueLimits{});
    }
    for (const auto& [task, k] : limits) gate(queue, task).limiter->set(QueueLimits{.concurrency = k});
    known = limits;
    bool any = false;
    for (const auto& [q, tasks] : limits_) any |= !tasks.empty();
    any_ = any;
    changed_ = true;
    cv_.notify_all();
}

bool TaskGates::limited(const std::string& queue, const std::string& task) const {
    if (!any_.load(std::memory_order_relaxed)) return false;
    std::lock_guard lock(mutex_);
    auto q = limits_.find(queue);
    return q != limits_.end() && q->second.count(task) != 0;
}

TaskGates::Gate& TaskGates::gate(const std::string& queue, const std::string& task) {
    auto [it, created] = gates_.try_emplace({queue, task});
    if (created) {
        it->second.limiter = std::make_unique<QueueLimiter>(config_, log_, queue + ", task " + task,
                                                            names::task_running_key(queue, task));
    }
    return it->second;
}

bool TaskGates::enter(const std::string& queue, const std::string& task) {
    Gate* g = nullptr;
    {
        std::lock_guard lock(mutex_);
        g = &gate(queue, task);
        if (!g->waiting.empty()) return false;  // jobs that came first go first
    }
    return try_enter(*g);
}

bool TaskGates::try_enter(Gate& g) {
    std::lock_guard op(g.op);
    QueueLimiter::Grant grant = g.limiter->admit(1, g.running);
    if (grant.jobs == 0) return false;
    ++g.running;
    g.limiter->fetched(grant, 1, g.running);
    return true;
}

void TaskGates::leave(const std::string& queue, const std::string& task) {
    Gate* g = nullptr;
    {
        std::lock_guard lock(mutex_);
        g = &gate(queue, task);
        changed_ = true;  // a waiting job of the task may go in now
    }
    cv_.notify_all();
    std::lock_guard op(g->op);
    --g->running;
    g->limiter->keep(g->running);
}

void TaskGates::wait(const std::string& queue, Message msg, Job job) {
    job.queue = queue;  // the gate it waits at, whatever the envelope says
    {
        std::lock_guard lock(mutex_);
        gate(queue, job.task).waiting.emplace_back(std::move(msg), std::move(job));
        changed_ = true;
    }
    cv_.notify_all();
}

void TaskGates::start() {
    // Claims of other workers: "<queue>.<hash>.running" (a queue's own claims have one token less).
    watcher_.emplace(kv_store(Bucket::limits, config_).watch("*.*.running"));
    watch_thread_ = std::thread([this] {
        follow_watch(*watcher_, log_, "task limits watch", [this](const KvEntry& e) {
            if (e.op == KvOp::caught_up) return;
            {
                std::lock_guard lock(mutex_);
                changed_ = true;
            }
            cv_.notify_all();
        });
    });
    thread_ = std::thread([this] { loop(); });
}

void TaskGates::loop() {
    std::unique_lock lock(mutex_);
    while (!stopping_) {
        cv_.wait_for(lock, kLookAgain, [this] { return stopping_ || changed_; });
        if (stopping_) break;
        changed_ = false;
        for (auto& [key, g] : gates_) {
            while (!g.waiting.empty() && !stopping_) {
                auto job = std::move(g.waiting.front());
                g.waiting.pop_front();
                lock.unlock();
                const bool entered = try_enter(g);
                if (entered) resume_(std::move(job.first), std::move(job.second));
                lock.lock();
                if (!entered) {
                    g.waiting.push_front(std::move(job));
                    break;
                }
            }
        }
    }
}

void TaskGates::extend_leases() {
    std::lock_guard lock(mutex_);
    for (auto& [key, g] : gates_) {
        for (auto& [msg, job] : g.waiting) {
            try {
                msg.in_progress();
            } catch (const Error& e) {
                log_(spdlog::level::warn, "job {}: lease extension failed: {}", job.id, e.what());
            }
        }
    }
}

void TaskGates::hand_back_all() {
    std::vector<std::pair<Message, Job>> waiting;
    {
        std::lock_guard lock(mutex_);
        for (auto& [key, g] : gates_) {
            for (auto& w : g.waiting) waiting.push_back(std::move(w));
            g.waiting.clear();
        }
    }
    for (auto& [msg, job] : waiting) {
        try {
            msg.nak();  // redeliver now, to another worker
        } catch (const Error& e) {
            log_(spdlog::level::warn, "job {}: handing back a job waiting for its task's room failed: {}", job.id,
                 e.what());
        }
    }
}

void TaskGates::stop() {
    {
        std::lock_guard lock(mutex_);
        if (stopping_) return;
        stopping_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
    if (watcher_) {
        watcher_->stop();
        if (watch_thread_.joinable()) watch_thread_.join();
        watcher_.reset();
    }
    for (auto& [key, g] : gates_) {
        std::lock_guard op(g.op);
        g.limiter->release();
    }
}

}  // namespace naq
