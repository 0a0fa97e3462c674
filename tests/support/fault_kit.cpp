#include "support/fault_kit.hpp"

#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "naq/codec.hpp"
#include "naq/errors.hpp"
#include "naq/events.hpp"
#include "naq/jetstream.hpp"
#include "naq/names.hpp"
#include "naq/results.hpp"
#include "support/test_env.hpp"

namespace naq::test {

NaqProcess::NaqProcess(const Config& config, const std::string& args, const std::string& record_file) {
    std::string urls;
    for (const auto& s : config.nats.servers) urls += " --url " + s;
    // NAQ_FAULT_LOG_LEVEL=debug shows what the processes did around a fault.
    const char* level = std::getenv("NAQ_FAULT_LOG_LEVEL");
    std::string cmd = std::string("exec ") + NAQ_BINARY + urls + " --prefix " + config.jetstream.prefix +
                      " --log-level " + (level != nullptr ? level : "warn") + " " + args;
    pid_ = ::fork();
    if (pid_ == 0) {
        if (!record_file.empty()) ::setenv("NAQ_RECORD_FILE", record_file.c_str(), 1);
        // As a deployment's naq.yaml would: buckets a process creates get the cluster's replicas.
        ::setenv("NAQ_JETSTREAM_REPLICAS", std::to_string(config.jetstream.replicas).c_str(), 1);
        ::execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
        ::_exit(127);
    }
}

NaqProcess::~NaqProcess() {
    if (!reaped_) stop(SIGTERM);
}

bool NaqProcess::alive() { return wait_exit(std::chrono::milliseconds(0)) == -1000; }

int NaqProcess::wait_exit(std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!reaped_) {
        if (::waitpid(pid_, &status_, WNOHANG) == pid_) {
            reaped_ = true;
            break;
        }
        if (std::chrono::steady_clock::now() >= deadline) return -1000;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return WIFEXITED(status_) ? WEXITSTATUS(status_) : -WTERMSIG(status_);
}

int NaqProcess::stop(int sig) {
    if (!reaped_) {
        ::kill(pid_, sig);
        ::waitpid(pid_, &status_, 0);
        reaped_ = true;
    }
    return WIFEXITED(status_) ? WEXITSTATUS(status_) : -WTERMSIG(status_);
}

std::string record_worker_args(const std::string& queue, int concurrency) {
    return "worker " + queue + "," + runs_queue(queue) + " --concurrency " + std::to_string(concurrency) +
           " --plugin " + NAQ_RECORD_PLUGIN;
}

RecordFile::RecordFile() {
    char dir[] = "/tmp/naq-fault-XXXXXX";
    if (::mkdtemp(dir) == nullptr) throw Error("mkdtemp failed");
    dir_ = dir;
    path = dir_ + "/executions.log";
}

RecordFile::~RecordFile() {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
}

std::map<std::string, int> RecordFile::executions() const {
    std::map<std::string, int> count;
    std::ifstream in(path);
    std::string line;
    while (std::getline(in, line)) ++count[line];
    return count;
}

std::size_t RecordFile::repeats() const {
    std::size_t n = 0;
    for (const auto& [id, runs] : executions()) n += static_cast<std::size_t>(runs - 1);
    return n;
}

int RecordFile::schedule_runs_since(const std::string& schedule_id, int64_t since_ms) const {
    int n = 0;
    for (const auto& [id, count] : executions()) {
        if (id.rfind(schedule_id + "_", 0) != 0) continue;
        if (std::stoll(id.substr(schedule_id.size() + 1)) >= since_ms) ++n;
    }
    return n;
}

Recovery wait_recovery(const RecordFile& record, const std::string& schedule_id, std::size_t jobs,
                       std::chrono::seconds timeout, const std::string& what) {
    const auto ended = std::chrono::steady_clock::now();
    const int64_t ended_ms = now_ms();
    const std::size_t before = record.executions().size();
    Recovery r;
    r.worker_back = eventually([&] { return record.executions().size() >= before + jobs; }, timeout);
    r.worker_ms = static_cast<long>(
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - ended).count());
    r.scheduler_back = eventually([&] { return record.schedule_runs_since(schedule_id, ended_ms) >= 3; }, timeout);
    std::printf("fault: %s: worker back=%d after %ld ms, scheduler back=%d\n", what.c_str(), r.worker_back, r.worker_ms,
                r.scheduler_back);
    return r;
}

RecordingProducer::RecordingProducer(const Config& config, const std::string& queue, std::chrono::milliseconds pause)
    : queue_(queue, config), pause_(pause) {
    thread_ = std::thread([this] {
        while (!stopping_.load()) {
            try {
                std::string id = queue_.enqueue("record", Json::object());
                std::lock_guard lock(mutex_);
                acked_.push_back(std::move(id));
            } catch (const Error&) {
                ++failures_;  // not acknowledged: the caller would retry, the job is not counted
            }
            std::this_thread::sleep_for(pause_);
        }
    });
}

RecordingProducer::~RecordingProducer() { stop(); }

std::vector<std::string> RecordingProducer::stop() {
    stopping_ = true;
    if (thread_.joinable()) thread_.join();
    std::lock_guard lock(mutex_);
    return acked_;
}

std::size_t RecordingProducer::acked() const {
    std::lock_guard lock(mutex_);
    return acked_.size();
}

std::size_t unfinished_after_drain(const Config& config, Queue& queue, std::chrono::seconds timeout) {
    bool idle = eventually(
        [&] {
            QueueCounts n = queue.counts();
            return n.pending == 0 && n.in_flight == 0;
        },
        timeout);
    QueueCounts left = queue.counts();
    std::size_t unfinished = 0;
    std::size_t stored = 0;
    ResultStore results(config);
    // Read by sequence: the jobs stream is a work queue, which takes no second consumer.
    auto js = jetstream(config);
    const std::string stream = names::jobs_stream(config);
    StreamState state = js.stream_state(stream);
    for (uint64_t seq = state.first_sequence; state.messages > 0 && seq <= state.last_sequence; ++seq) {
        try {
            Job job = codec::decode_job(js.get_message(stream, seq));
            if (job.queue != queue.name()) continue;
            ++stored;
            auto status = results.try_status(job.id);
            if (!status || !is_final(status->state)) ++unfinished;
        } catch (const NotFound&) {
            // acknowledged and removed meanwhile
        }
    }
    std::printf("fault: after the drain: idle=%d pending=%llu in_flight=%lld stored=%zu (of them not done: %zu)\n",
                idle, static_cast<unsigned long long>(left.pending), static_cast<long long>(left.in_flight), stored,
                unfinished);
    return idle ? unfinished : std::max<std::size_t>(unfinished, 1);
}

std::string Tally::line() const {
    return "acked=" + std::to_string(acked) + " succeeded=" + std::to_string(succeeded) +
           " lost=" + std::to_string(lost) + " duplicates=" + std::to_string(duplicates) +
           " recovery_ms=" + std::to_string(recovery_ms) + " events_lost=" + std::to_string(events_lost);
}

ScheduleRuns schedule_runs(const RecordFile& record, const std::string& schedule_id) {
    ScheduleRuns runs;
    std::vector<int64_t> due;
    for (const auto& [id, executions] : record.executions()) {
        if (id.rfind(schedule_id + "_", 0) != 0) continue;
        due.push_back(std::stoll(id.substr(schedule_id.size() + 1)));
        if (executions > 1) ++runs.twice;
    }
    std::sort(due.begin(), due.end());
    runs.due_times = due.size();
    for (std::size_t i = 1; i < due.size(); ++i) {
        const int64_t step = due[i] - due[i - 1];
        if (step > 60'000) {
            ++runs.collapsed;
        } else if (step != 1000) {
            ++runs.missed;
        }
    }
    return runs;
}

std::string ScheduleRuns::line() const {
    return "the schedule ran " + std::to_string(due_times) + " due times; " + std::to_string(missed) + " missed, " +
           std::to_string(collapsed) + " stretches over the catch-up window, " + std::to_string(twice) + " ran twice";
}

Tally tally(const Config& config, const std::vector<std::string>& ids, const RecordFile& record) {
    Tally t;
    t.acked = ids.size();
    auto runs = record.executions();
    ResultStore results(config);
    for (const auto& id : ids) {
        auto it = runs.find(id);
        auto status = results.try_status(id);
        bool ran = it != runs.end();
        if (ran) t.duplicates += static_cast<std::size_t>(it->second - 1);
        if (ran && status && status->state == JobState::succeeded) {
            ++t.succeeded;
        } else {
            ++t.lost;
        }
    }
    return t;
}

Tally finish_load(const Config& config, Queue& queue, RecordingProducer& producer, const RecordFile& record,
                  long recovery_ms, const std::string& label) {
    std::vector<std::string> ids = producer.stop();
    std::size_t unfinished = unfinished_after_drain(config, queue, std::chrono::seconds(90));
    Tally t = tally(config, ids, record);
    t.recovery_ms = recovery_ms;
    t.unfinished = unfinished;
    t.events_lost = count_event_gaps(read_events(config)).missing;
    std::printf("fault: %s: %s enqueue_failures=%d\n", label.c_str(), t.line().c_str(), producer.failures());
    return t;
}

}  // namespace naq::test
