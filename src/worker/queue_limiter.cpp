// Queue limits across workers (see queue_limiter.hpp).
#include "queue_limiter.hpp"

#include <algorithm>

#include "core/limit_records.hpp"
#include "naq/errors.hpp"
#include "naq/job.hpp"
#include "naq/names.hpp"
#include "watch_loop.hpp"

namespace naq {

namespace {

// Compare-and-set rounds before a fetch loop gives up for now (it asks again soon): several
// workers that reach a new window together settle in a few.
constexpr int kRounds = 16;
constexpr Millis kRetryAfterContention{20};
constexpr Millis kRetryAfterError{500};
// The longest a fetch loop waits for room without looking again; the watch wakes it sooner.
constexpr Millis kMaxWait{1000};

// Stores `value` if the key is still as `seen` (missing, or at its revision); throws Conflict when not.
void store_if_unchanged(const KvStore& kv, const std::string& key, const std::string& value,
                        const std::optional<KvEntry>& seen) {
    if (seen) {
        kv.update(key, value, seen->revision);
    } else {
        kv.create(key, value);
    }
}

}  // namespace

QueueLimiter::QueueLimiter(const Config& config, const WorkerLog& log, std::string queue)
    : config_(config),
      log_(log),
      queue_(std::move(queue)),
      rate_key_(names::rate_window_key(queue_)),
      running_key_(names::running_jobs_key(queue_)) {}

QueueLimiter::QueueLimiter(const Config& config, const WorkerLog& log, std::string what, std::string running_key)
    : config_(config), log_(log), queue_(std::move(what)), running_key_(std::move(running_key)) {}

void QueueLimiter::set(const QueueLimits& limits) {
    {
        std::lock_guard lock(mutex_);
        limits_ = limits;
    }
    active_ = limits.any();
    version_.fetch_add(1);
}

QueueLimits QueueLimiter::limits() const {
    std::lock_guard lock(mutex_);
    return limits_;
}

bool QueueLimiter::limits_concurrency() const { return limits().concurrency > 0; }

QueueLimiter::Grant QueueLimiter::admit(int want, int in_hand) {
    std::lock_guard op(op_mutex_);
    const QueueLimits limits = this->limits();
    const int held = in_hand + reserved_;  // this worker's jobs, with other levels' fetches under way
    Grant grant;
    grant.version = version();
    grant.jobs = want;
    try {
        // Concurrency first: room that the rate window then does not allow is given back at once.
        if (limits.concurrency > 0) grant.jobs = claim(grant.jobs, held, limits, &grant);
        if (grant.jobs > 0 && limits.rate_max > 0) {
            grant.jobs = take_rate(grant.jobs, limits, grant);
            if (limits.concurrency > 0 && grant.jobs < want) claim(0, held + grant.jobs, limits, nullptr);
        }
    } catch (const Error& e) {
        log_(spdlog::level::warn, "queue {}: cannot read its limits ({}); fetching waits", queue_, e.what());
        grant.jobs = 0;
        grant.retry_in = kRetryAfterError;
    }
    if (grant.jobs == 0 && grant.retry_in <= Millis(0)) grant.retry_in = kRetryAfterContention;
    grant.retry_in = std::min(grant.retry_in, kMaxWait);
    reserved_ += grant.jobs;
    return grant;
}

void QueueLimiter::fetched(const Grant& grant, int got, int in_hand) {
    std::lock_guard op(op_mutex_);
    reserved_ -= grant.jobs;
    if (got < grant.jobs && grant.rate_window_ms >= 0) {
        try {
            give_back_rate(grant.rate_window_ms, grant.jobs - got);
        } catch (const Error& e) {
            log_(spdlog::level::debug, "queue {}: giving back rate tokens failed: {}", queue_, e.what());
        }
    }
    keep_locked(in_hand);
}

void QueueLimiter::keep(int in_hand) {
    std::lock_guard op(op_mutex_);
    keep_locked(in_hand);
}

void QueueLimiter::keep_locked(int in_hand) {
    const QueueLimits limits = this->limits();
    const int64_t target = limits.concurrency > 0 ? in_hand + reserved_ : 0;
    const int64_t renew_at = claim_until_ms_ - config_.worker.worker_ttl.count() / 2;
    if (target == claimed_ && (claimed_ == 0 || now_ms() < renew_at)) return;
    try {
        claim(0, static_cast<int>(target), limits, nullptr);
    } catch (const Error& e) {
        log_(spdlog::level::warn, "queue {}: cannot update its running-jobs record ({})", queue_, e.what());
    }
}

void QueueLimiter::release() {
    std::lock_guard op(op_mutex_);
    QueueLimits none = limits();
    none.concurrency = 0;
    if (claimed_ == 0) return;
    try {
        claim(0, 0, none, nullptr);
    } catch (const Error& e) {
        log_(spdlog::level::warn, "queue {}: cannot remove its running-jobs claim ({}); it lapses after {} ms", queue_,
             e.what(), config_.worker.worker_ttl.count());
    }
}

const KvStore& QueueLimiter::kv() {
    if (!kv_) kv_.emplace(kv_store(Bucket::limits, config_));
    return *kv_;
}

template <class Record>
Record QueueLimiter::read_record(const std::optional<KvEntry>& entry, Record (*decode)(std::string_view),
                                 const char* what) const {
    if (!entry) return Record{};
    try {
        return decode(entry->value);
    } catch (const SerializationError& e) {
        // Written by something else: replaced by this worker's next write, not obeyed.
        log_(spdlog::level::warn, "queue {}: unreadable {} replaced ({})", queue_, what, e.what());
        return Record{};
    }
}

int QueueLimiter::take_rate(int want, const QueueLimits& limits, Grant& grant) {
    const int64_t period = limits.rate_period.count();
    for (int round = 0; round < kRounds; ++round) {
        const int64_t now = now_ms();
        auto entry = kv().try_get(rate_key_);
        detail::RateWindow window = read_record(entry, detail::decode_rate_window, "rate window");
        // A window ahead of this clock (another worker's clock runs ahead) is the current one.
        if (window.window_ms < now - now % period) window = {now - now % period, 0};
        const int64_t left = limits.rate_max - window.used;
        if (left <= 0) {
            grant.retry_in = Millis(std::clamp<int64_t>(window.window_ms + period - now, 1, period));
            return 0;
        }
        const int take = static_cast<int>(std::min<int64_t>(want, left));
        window.used += take;
        try {
            store_if_unchanged(kv(), rate_key_, detail::encode(window), entry);
            grant.rate_window_ms = window.window_ms;
            return take;
        } catch (const Conflict&) {
            // another worker took some meanwhile
        }
    }
    return 0;
}

void QueueLimiter::give_back_rate(int64_t window_ms, int unused) {
    for (int round = 0; round < kRounds; ++round) {
        auto entry = kv().try_get(rate_key_);
        if (!entry) return;
        detail::RateWindow window = detail::decode_rate_window(entry->value);
        if (window.window_ms != window_ms) return;  // the window is over: nothing to give back to
        window.used = std::max<int64_t>(0, window.used - unused);
        try {
            kv().update(rate_key_, detail::encode(window), entry->revision);
            return;
        } catch (const Conflict&) {}
    }
}

int QueueLimiter::claim(int want, int held, const QueueLimits& limits, Grant* grant) {
    const std::string& me = log_.id();
    for (int round = 0; round < kRounds; ++round) {
        const int64_t now = now_ms();
        auto entry = kv().try_get(running_key_);
        detail::RunningHolders running = read_record(entry, detail::decode_running_holders, "running-jobs record");
        running.drop_lapsed(now);
        const int64_t others = running.held_by_others(me, now);
        const int64_t room = limits.concurrency > 0 ? limits.concurrency - others - held : want;
        const int granted = static_cast<int>(std::clamp<int64_t>(room, 0, want));
        const int64_t mine = held + granted;
        if (granted == 0 && grant != nullptr) {
            // Waits for the watch; at the latest until the first claim of another worker lapses.
            int64_t first_lapse = now + kMaxWait.count();
            for (const auto& [id, h] : running.holders) {
                if (id != me) first_lapse = std::min(first_lapse, h.until_ms);
            }
            grant->retry_in = Millis(std::max<int64_t>(1, first_lapse - now));
        }
        auto it = running.holders.find(me);
        const int64_t recorded = it == running.holders.end() ? 0 : it->second.jobs;
        const int64_t until = now + config_.worker.worker_ttl.count();
        const bool renew = mine > 0 && (it == running.holders.end() ||
                                        it->second.until_ms - config_.worker.worker_ttl.count() / 2 < now);
        if (mine == recorded && !renew) {
            claimed_ = mine;
            return granted;
        }
        if (mine == 0) {
            running.holders.erase(me);
        } else {
            running.holders[me] = {mine, until};
        }
        try {
            store_if_unchanged(kv(), running_key_, detail::encode(running), entry);
            claimed_ = mine;
            claim_until_ms_ = until;
            return granted;
        } catch (const Conflict&) {
            // another worker's claim changed meanwhile
        }
    }
    return 0;
}

// ---- QueueLimiters

QueueLimiters::QueueLimiters(const Config& config, const WorkerLog& log, const std::vector<std::string>& queues,
                             std::function<void()> wake)
    : config_(config), log_(log), wake_(std::move(wake)) {
    for (const auto& q : queues) limiters_.emplace(q, std::make_unique<QueueLimiter>(config, log, q));
}

QueueLimiter& QueueLimiters::of(const std::string& queue) { return *limiters_.at(queue); }

void QueueLimiters::set(const std::string& queue, const QueueLimits& limits) {
    auto it = limiters_.find(queue);
    if (it == limiters_.end()) return;
    it->second->set(limits);
    wake_();
}

void QueueLimiters::start() {
    watcher_.emplace(kv_store(Bucket::limits, config_).watch("*.running"));
    thread_ = std::thread([this] {
        follow_watch(*watcher_, log_, "queue limits watch", [this](const KvEntry& e) {
            if (e.op == KvOp::caught_up) return;
            const std::string queue = e.key.substr(0, e.key.rfind('.'));
            auto it = limiters_.find(queue);
            if (it == limiters_.end() || !it->second->limits_concurrency()) return;
            it->second->note_changed();
            wake_();
        });
    });
}

void QueueLimiters::stop() {
    if (watcher_) {
        watcher_->stop();
        if (thread_.joinable()) thread_.join();
        watcher_.reset();
    }
    for (auto& [queue, limiter] : limiters_) limiter->release();
}

}  // namespace naq
