// The timer heap, on the scheduler's io_context thread: schedules in from the KV watch, one
// steady_timer armed for the earliest run. Firing is in scheduler_fire.cpp.
#include <algorithm>
#include <chrono>

#include "naq/errors.hpp"
#include "scheduler_impl.hpp"

namespace naq {

namespace {

constexpr int64_t kMaxTimerWaitMs = 10'000;  // re-check the wall clock at least this often

}  // namespace

void Scheduler::Impl::begin_load() { loading.emplace(); }

void Scheduler::Impl::apply(const KvEntry& change) {
    if (change.op == KvOp::caught_up) {
        if (loading) {
            // A restarted watch replays every current value: drop what it no longer has.
            std::vector<std::string> gone;
            for (const auto& [key, e] : entries) {
                if (loading->count(key) == 0) gone.push_back(key);
            }
            for (const auto& key : gone) remove_entry(key);
            loading.reset();
        }
        if (!synced) {
            log(spdlog::level::info, "loaded {} schedules", known.load());
            mark_started(&synced);
        }
        rearm();
        return;
    }
    if (change.op != KvOp::put) {
        remove_entry(change.key);
    } else {
        if (loading) loading->insert(change.key);
        auto it = entries.find(change.key);
        if (it != entries.end() && change.revision <= it->second.revision) return;  // our own write, or older
        try {
            put_entry(change.key, codec::decode_schedule(change.value), change.revision);
        } catch (const SerializationError& e) {
            log(spdlog::level::warn, "[schedule {}] unreadable record ignored: {}", change.key, e.what());
            remove_entry(change.key);
        }
    }
    if (synced) rearm();
}

void Scheduler::Impl::put_entry(const std::string& key, Schedule schedule, uint64_t revision) {
    Entry& e = entries[key];
    if (e.heap_at != 0) heap.erase({e.heap_at, key});
    if (e.erased) --tombstones;
    e.schedule = std::move(schedule);
    e.revision = revision;
    e.erased = false;
    e.heap_at = 0;
    if (!e.schedule.paused && e.schedule.next_run_ms > 0 && !e.in_flight) {
        e.heap_at = std::max(e.schedule.next_run_ms, e.not_before);
        heap.emplace(e.heap_at, key);
    }
    known = entries.size() - tombstones;
}

void Scheduler::Impl::remove_entry(const std::string& key, bool keep_tombstone) {
    auto it = entries.find(key);
    if (it == entries.end()) return;
    if (it->second.heap_at != 0) heap.erase({it->second.heap_at, key});
    it->second.heap_at = 0;
    if (keep_tombstone) {
        if (!it->second.erased) ++tombstones;
        it->second.erased = true;
    } else {
        if (it->second.erased) --tombstones;
        entries.erase(it);
    }
    known = entries.size() - tombstones;
}

void Scheduler::Impl::rearm() {
    if (stopping || heap.empty()) {
        if (armed_for != 0) timer.cancel();
        armed_for = 0;
        return;
    }
    int64_t first = heap.begin()->first;
    // Without the lease, look again every standby_poll: the lease can lapse between two renewals
    // (one that waited out an outage) and come back without a change of leader, and nothing
    // else would re-arm the timer then.
    if (!leading()) first = std::max(first, now_ms() + options.standby_poll.count());
    if (armed_for == first) return;  // already waiting for it
    armed_for = first;
    int64_t wait = std::clamp<int64_t>(first - now_ms(), 0, kMaxTimerWaitMs);
    timer.expires_after(Millis(wait));
    timer.async_wait([this, first](const asio::error_code& ec) {
        if (ec == asio::error::operation_aborted || armed_for != first) return;
        armed_for = 0;
        on_timer();
    });
}

void Scheduler::Impl::on_timer() {
    if (stopping) return;
    if (!heap.empty() && heap.begin()->first <= now_ms() && leading()) {
        fire_due();
    } else {
        rearm();
    }
}

}  // namespace naq
