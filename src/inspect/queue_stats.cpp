// queue_stats(): live counts + dead letters + live workers and their recent throughput.
#include "naq/queue_stats.hpp"

#include <map>

#include "naq/jetstream.hpp"
#include "naq/names.hpp"
#include "naq/workers.hpp"

namespace naq {

std::vector<QueueStats> queue_stats(const Config& config) {
    std::map<std::string, QueueStats> by_queue;
    auto slot = [&by_queue](const std::string& queue) -> QueueStats& {
        auto& s = by_queue[queue];
        s.counts.queue = queue;
        s.control.queue = queue;
        return s;
    };
    for (auto& c : list_queues(config)) {  // also ensures the jobs and dead-letter streams
        std::string name = c.queue;
        slot(name).counts = std::move(c);
    }
    auto js = jetstream(config);
    std::string failed_prefix = names::failed_subject(config, "");
    for (const auto& [subject, n] :
         js.subject_counts(names::failed_stream(config), names::all_failed_subject(config))) {
        slot(subject.substr(failed_prefix.size())).dead = n;
    }
    for (const auto& w : WorkerStatusReader(config).list()) {
        for (const auto& q : w.queues) ++slot(q).workers;
        if (w.recent_window_ms <= 0) continue;
        for (const auto& [queue, n] : w.recent_finished) {
            auto& s = slot(queue);
            s.finished_recently += n;
            s.per_second += static_cast<double>(n) * 1000.0 / static_cast<double>(w.recent_window_ms);
        }
    }
    for (auto& [queue, control] : queue_controls(config)) slot(queue).control = std::move(control);
    std::vector<QueueStats> out;
    for (auto& [queue, s] : by_queue) out.push_back(std::move(s));
    return out;
}

}  // namespace naq
