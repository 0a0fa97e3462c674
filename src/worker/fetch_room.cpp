// How much each fetch loop may ask for (see fetcher.hpp): prefetch depth, room, priority and
// strict order between fetch loops, weights between queues. Every function needs slot_mutex_ held.
#include <algorithm>

#include "fetcher.hpp"

namespace naq {

// Prefetching: the fetcher keeps up to prefetch_depth() jobs fetched ahead of the handlers, so a
// handler that finishes takes its next job at once instead of waiting for a fetch round trip.
// The depth shrinks as jobs get longer (a buffered job should start within ~100 ms), so long
// jobs are not held back from other workers; buffered jobs' leases are extended like running ones.
int Fetcher::prefetch_depth() const {
    constexpr int64_t kMaxWaitUs = 100'000;
    int64_t job_us = std::max<int64_t>(1, recent_job_us_.load(std::memory_order_relaxed));
    int64_t depth = kMaxWaitUs * options_.concurrency / job_us;
    return static_cast<int>(std::min<int64_t>(depth, config_.worker.fetch_batch));
}

int Fetcher::room() const {
    int running = options_.concurrency - free_slots_;
    return options_.concurrency + prefetch_depth() - running - static_cast<int>(ready_.size());
}

bool Fetcher::ahead(const Unit& other, const Unit& unit) const {
    if (other.queue == unit.queue) return other.level <= unit.level;
    return options_.strict && other.queue < unit.queue;
}

bool Fetcher::behind_busy(const Unit& unit) const {
    for (const Unit& u : units_) {
        if (&u == &unit || !ahead(u, unit) || u.idle || u.waiting) continue;
        if (paused_.count(options_.queues[u.queue]) == 0) return true;
    }
    return false;
}

int Fetcher::jobs_in_hand() const {
    int n = 0;
    for (int hand : in_hand_) n += hand;
    for (const Unit& u : units_) n += u.fetching;
    return n;
}

int Fetcher::fetch_room(const Unit& unit) const {
    // Records were refused and none stored since: one job, once the last one's record was
    // answered, until one is stored (an idle unit's pull already waiting may bring one more).
    if (records_.probing()) {
        return jobs_in_hand() == 0 && records_.may_probe(2 * config_.nats.request_timeout) ? 1 : 0;
    }
    // An idle unit's pull of one job is not counted and needs no room: it is at most one job
    // per idle unit beyond the free slots, which waits in ready_ with its lease kept alive, and
    // it lets a job of an empty level or queue start without a fetch round trip.
    if (unit.idle) return 1;
    // Lower levels (and later strict queues) fetch once the ones before them have nothing to
    // fetch: their jobs would only wait in ready_, holding room and leases.
    if (behind_busy(unit)) return 0;
    const int capacity = options_.concurrency + prefetch_depth();
    int fetching = 0;
    for (const Unit& u : units_) {
        if (ahead(u, unit)) fetching += u.fetching;
    }
    const int ready = static_cast<int>(ready_.ahead_of(unit.queue, unit.level));
    if (options_.queues.size() > 1 && !options_.strict) {
        // Each queue may hold its weight's share of the room, whatever the others hold: a queue
        // long-polling must not hold it all, and every queue has jobs ready to share by weight.
        return share(unit, capacity) - running_[unit.queue] - ready - fetching;
    }
    const int running = options_.concurrency - free_slots_;
    return capacity - running - ready - fetching;
}

int Fetcher::share(const Unit& unit, int amount) const {
    return std::max(1, amount * options_.weights[unit.queue] / total_weight_);
}

int Fetcher::fetch_threshold(const Unit& unit) const {
    if (unit.idle) return 1;
    // Fetch in batches of at least half the prefetch depth (of the queue's share), not one
    // message per finished job.
    const int depth = std::min(prefetch_depth(), config_.worker.fetch_batch);
    if (options_.queues.size() > 1 && !options_.strict) return std::max(1, share(unit, depth) / 2);
    return batch_threshold();
}

int Fetcher::batch_threshold() const {
    // Fetch in batches of at least half the prefetch depth (per queue), not one message per
    // finished job.
    const int queues = static_cast<int>(options_.queues.size());
    return std::max(1, std::min(prefetch_depth(), config_.worker.fetch_batch) / 2 / queues);
}

}  // namespace naq
