#include "views.hpp"

#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <cstdio>
#include <iostream>
#include <mutex>

#include "cli.hpp"

namespace naq::cli {

bool stdout_is_tty() { return ::isatty(STDOUT_FILENO) != 0; }

int refresh_loop(Millis interval, bool clear, const std::function<void()>& frame) {
    std::mutex mutex;
    std::condition_variable cv;
    bool stop = false;
    SignalStopper stopper([&] {
        std::lock_guard lock(mutex);
        stop = true;
        cv.notify_all();
    });
    const bool tty = clear && stdout_is_tty();
    while (true) {
        if (tty) std::cout << "\x1b[H\x1b[2J";  // home, clear screen
        frame();
        std::cout << std::flush;
        std::unique_lock lock(mutex);
        if (cv.wait_for(lock, interval, [&] { return stop; })) return kOk;
    }
}

std::string format_age(int64_t ms) {
    if (ms < 0) ms = 0;
    if (ms < 1000) return std::to_string(ms) + "ms";
    if (ms < 120'000) return std::to_string(ms / 1000) + "s";
    if (ms < 7'200'000) return std::to_string(ms / 60'000) + "m";
    if (ms < 172'800'000) return std::to_string(ms / 3'600'000) + "h";
    return std::to_string(ms / 86'400'000) + "d";
}

void print_queue_stats(const std::vector<QueueStats>& stats) {
    std::vector<std::vector<std::string>> rows;
    for (const auto& s : stats) {
        const auto& q = s.counts;
        char rate[32];
        std::snprintf(rate, sizeof(rate), "%.1f", s.per_second);
        const QueueLimits& l = s.control.limits;
        std::string limits = l.rate_max > 0 ? rate_text(l) : "";
        if (l.concurrency > 0) limits += (limits.empty() ? "" : ",") + std::to_string(l.concurrency) + " at once";
        for (const auto& [task, k] : l.tasks) limits += (limits.empty() ? "" : ",") + task + ":" + std::to_string(k);
        std::string pending = std::to_string(q.pending);
        if (q.pending_high > 0 || q.pending_low > 0) {
            pending += " (" + std::to_string(q.pending_high) + " high, " + std::to_string(q.pending_low) + " low)";
        }
        rows.push_back({q.queue, s.control.paused ? "paused" : "active", pending, std::to_string(q.in_flight),
                        std::to_string(q.redelivered), std::to_string(s.dead), std::to_string(s.workers), rate,
                        limits.empty() ? "-" : limits, q.has_consumer ? "yes" : "no"});
    }
    print_table(
        {"QUEUE", "STATE", "PENDING", "IN_FLIGHT", "REDELIVERED", "DEAD", "WORKERS", "JOBS/S", "LIMITS", "CONSUMER"},
        rows);
}

void print_workers(const std::vector<WorkerStatus>& workers) {
    std::vector<std::vector<std::string>> rows;
    const int64_t now = now_ms();
    for (const auto& w : workers) {
        std::string queues;
        for (const auto& q : w.queues) {
            bool paused = std::find(w.paused.begin(), w.paused.end(), q) != w.paused.end();
            queues += (queues.empty() ? "" : ",") + q + (paused ? "(paused)" : "");
        }
        rows.push_back(
            {w.id, to_string(w.state), queues, std::to_string(w.in_flight.size()) + "/" + std::to_string(w.concurrency),
             std::to_string(w.succeeded), std::to_string(w.failed), std::to_string(w.retried), std::to_string(w.dead),
             format_age(now - w.heartbeat_at_ms) + " ago", format_age(now - w.started_at_ms), w.version});
    }
    print_table(
        {"WORKER", "STATE", "QUEUES", "BUSY", "SUCCEEDED", "FAILED", "RETRIED", "DEAD", "HEARTBEAT", "UP", "VERSION"},
        rows);
}

std::string format_event(const Event& e) {
    std::string line = format_time(e.at_ms) + "  ";
    std::string type = to_string(e.type);
    type.resize(std::max<std::size_t>(type.size(), 16), ' ');
    line += type;
    std::string where = e.queue;
    if (!e.task.empty()) where += "/" + e.task;
    if (!where.empty()) line += "  " + where;
    if (!e.job_id.empty()) line += "  job=" + e.job_id;
    if (!e.schedule_id.empty()) line += "  schedule=" + e.schedule_id;
    if (e.attempt > 0) line += "  attempt=" + std::to_string(e.attempt);
    if (!e.worker.empty()) line += "  worker=" + e.worker;
    if (e.duration_ms) line += "  duration=" + std::to_string(*e.duration_ms) + "ms";
    if (e.delay_ms)
        line += (e.type == EventType::retry_scheduled ? "  retry_in=" : "  late=") + std::to_string(*e.delay_ms) + "ms";
    if (!e.error.empty()) line += "  error=" + Json(e.error).dump(-1, ' ', false, Json::error_handler_t::replace);
    if (!e.data.is_null()) line += "  " + e.data.dump(-1, ' ', false, Json::error_handler_t::replace);
    return line;
}

}  // namespace naq::cli
