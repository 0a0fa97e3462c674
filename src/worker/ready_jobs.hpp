// The fetched jobs waiting for a handler, and which of them runs next: the queue by weight
// (smooth weighted round robin over the queues that have jobs waiting) or, strict, the first
// queue in order that has any; within the queue, its high jobs before its normal ones before
// its low ones, each level first in, first out. Not thread-safe: the fetcher's slot mutex
// guards it. `Payload` is the fetched Message (a template so that tests can order plain values).
// Private to src/worker.
#pragma once

#include <array>
#include <cstddef>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "naq/job.hpp"

namespace naq {

template <class Payload>
class ReadyJobs {
public:
    struct Entry {
        std::size_t queue = 0;    ///< index into the worker's queues
        const std::string* name;  ///< that queue's name (an element of WorkerOptions::queues)
        Priority level = Priority::normal;
        Payload msg;
    };

    /// `weights` per queue (WorkerOptions::weights, filled in).
    ReadyJobs(std::vector<int> weights, bool strict);

    void push(Entry entry);
    /// The job to run next; nullopt when none waits.
    std::optional<Entry> pop();
    std::size_t size() const { return size_; }
    /// Jobs waiting that run before or with `queue`'s jobs of `level`: its own and higher levels,
    /// and with strict order every job of the queues before it.
    std::size_t ahead_of(std::size_t queue, Priority level) const;
    bool empty() const { return size_ == 0; }
    /// Takes out every job of `queue` (paused), in the order they would have run.
    std::vector<Entry> take_queue(std::size_t queue);
    /// Takes out every job.
    std::vector<Entry> take_all();
    /// Calls f(entry) for every job waiting.
    template <class F>
    void for_each(F f) {
        for (auto& levels : lanes_) {
            for (auto& lane : levels) {
                for (auto& e : lane) f(e);
            }
        }
    }

private:
    std::size_t pick_queue();

    std::vector<int> weights_;
    bool strict_;
    std::vector<std::array<std::deque<Entry>, 3>> lanes_;  // [queue][Priority]
    std::vector<std::size_t> waiting_;                     // jobs per queue
    std::vector<long> credit_;                             // smooth weighted round robin
    std::size_t size_ = 0;
};

template <class Payload>
ReadyJobs<Payload>::ReadyJobs(std::vector<int> weights, bool strict)
    : weights_(std::move(weights)),
      strict_(strict),
      lanes_(weights_.size()),
      waiting_(weights_.size(), 0),
      credit_(weights_.size(), 0) {}

template <class Payload>
void ReadyJobs<Payload>::push(Entry entry) {
    const std::size_t q = entry.queue;
    lanes_[q][static_cast<std::size_t>(entry.level)].push_back(std::move(entry));
    ++waiting_[q];
    ++size_;
}

template <class Payload>
std::size_t ReadyJobs<Payload>::ahead_of(std::size_t queue, Priority level) const {
    std::size_t n = 0;
    if (strict_) {
        for (std::size_t q = 0; q < queue; ++q) n += waiting_[q];
    }
    for (std::size_t l = 0; l <= static_cast<std::size_t>(level); ++l) n += lanes_[queue][l].size();
    return n;
}

template <class Payload>
auto ReadyJobs<Payload>::pop() -> std::optional<Entry> {
    if (size_ == 0) return std::nullopt;
    const std::size_t q = pick_queue();
    for (auto& lane : lanes_[q]) {  // high, normal, low
        if (lane.empty()) continue;
        std::optional<Entry> e(std::move(lane.front()));
        lane.pop_front();
        --waiting_[q];
        --size_;
        return e;
    }
    return std::nullopt;  // not reached: waiting_[q] > 0
}

// Smooth weighted round robin (as nginx balances upstreams): every queue with jobs waiting gains
// its weight in credit, the richest runs and pays the sum of the weights. Over any stretch where
// the same queues have jobs waiting, each runs in proportion to its weight, interleaved (6:3:1
// runs as a a b a c a b a a b, not six a's in a row).
template <class Payload>
std::size_t ReadyJobs<Payload>::pick_queue() {
    if (lanes_.size() == 1) return 0;
    std::size_t best = lanes_.size();
    long total = 0;
    for (std::size_t q = 0; q < lanes_.size(); ++q) {
        if (waiting_[q] == 0) continue;
        if (strict_) return q;
        credit_[q] += weights_[q];
        total += weights_[q];
        if (best == lanes_.size() || credit_[q] > credit_[best]) best = q;
    }
    credit_[best] -= total;
    return best;
}

template <class Payload>
auto ReadyJobs<Payload>::take_queue(std::size_t queue) -> std::vector<Entry> {
    std::vector<Entry> out;
    for (auto& lane : lanes_[queue]) {
        for (auto& e : lane) out.push_back(std::move(e));
        lane.clear();
    }
    size_ -= waiting_[queue];
    waiting_[queue] = 0;
    credit_[queue] = 0;
    return out;
}

template <class Payload>
auto ReadyJobs<Payload>::take_all() -> std::vector<Entry> {
    std::vector<Entry> out;
    for (std::size_t q = 0; q < lanes_.size(); ++q) {
        auto taken = take_queue(q);
        for (auto& e : taken) out.push_back(std::move(e));
    }
    return out;
}

}  // namespace naq
