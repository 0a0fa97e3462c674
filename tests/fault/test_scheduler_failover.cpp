// Scheduler failover under SIGKILL: three `naq scheduler` processes fire 1-second interval
// schedules; the leader (found through the lease record) is killed twice. Every due run must be
// in the jobs stream exactly once: none lost in a failover gap, none doubled by a new leader
// re-firing a run the dead one had published but not yet recorded.
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <optional>
#include <vector>

#include "naq/codec.hpp"
#include "naq/errors.hpp"
#include "naq/jetstream.hpp"
#include "naq/kv_store.hpp"
#include "naq/names.hpp"
#include "naq/queue.hpp"
#include "naq/schedule.hpp"
#include "naq/schedule_store.hpp"
#include "support/test_env.hpp"

using namespace naq;
using namespace std::chrono_literals;

namespace {

pid_t spawn(const std::string& command) {
    pid_t pid = ::fork();
    if (pid == 0) {
        ::execl("/bin/sh", "sh", "-c", ("exec " + command).c_str(), static_cast<char*>(nullptr));
        ::_exit(127);
    }
    return pid;
}

// The pid in the scheduler lease record, when a scheduler holds the lease.
std::optional<pid_t> leader_pid(const Config& c) {
    try {
        auto entry = kv_store(Bucket::scheduler_lock, c).try_get("leader_lock");
        if (!entry) return std::nullopt;
        Json j = Json::parse(entry->value);
        if (j.value("released", false)) return std::nullopt;
        return static_cast<pid_t>(j.value("pid", 0));
    } catch (const std::exception&) {
        return std::nullopt;
    }
}

// Job id -> how many times it is stored in the jobs stream (no worker consumes them).
std::map<std::string, int> stored_counts(const Config& c) {
    auto js = jetstream(c);
    std::string stream = names::jobs_stream(c);
    auto state = js.stream_state(stream);
    std::map<std::string, int> counts;
    for (uint64_t seq = state.first_sequence; state.messages > 0 && seq <= state.last_sequence; ++seq) {
        try {
            ++counts[codec::decode_job(js.get_message(stream, seq)).id];
        } catch (const NotFound&) {}
    }
    return counts;
}

std::size_t total(const std::map<std::string, int>& counts) {
    std::size_t n = 0;
    for (const auto& [id, k] : counts) n += static_cast<std::size_t>(k);
    return n;
}

}  // namespace

TEST_CASE("scheduler failover: leader SIGKILLed twice, every due run fires exactly once", "[fault][scheduler]") {
    Config c = test::test_config();
    c.scheduler.lock_ttl = 2s;  // the same TTL as the schedulers', or binding the bucket would change it
    c.scheduler.lock_renew = 500ms;
    const std::string base = std::string(NAQ_BINARY) + " --url " + c.nats.servers[0] + " --prefix " +
                             c.jetstream.prefix + " --log-level warn --set scheduler.lock_ttl=2s" +
                             " --set scheduler.lock_renew=500ms scheduler";

    // Four 1-second schedules of 16 runs each, starting on a whole second a moment from now.
    const int schedules = 4;
    const int runs = 16;
    Queue q("failover", c);
    int64_t start_ms = (now_ms() / 1000 + 3) * 1000;
    std::vector<std::string> ids;
    for (int i = 0; i < schedules; ++i) {
        ids.push_back(q.schedule(Every{1s}, "echo", {{"i", i}}, {},
                                 {.repeat = runs, .start = std::chrono::system_clock::time_point(Millis(start_ms))}));
    }

    std::map<pid_t, bool> children;  // pid -> still running
    for (int i = 0; i < 3; ++i) children[spawn(base + " --name s" + std::to_string(i))] = true;
    auto cleanup = [&] {
        for (auto& [pid, running] : children) {
            if (!running) continue;
            ::kill(pid, SIGTERM);
            ::waitpid(pid, nullptr, 0);
            running = false;
        }
    };

    std::vector<double> takeovers;
    try {
        REQUIRE(test::eventually([&] { return leader_pid(c).has_value(); }, 20s));
        for (int kill = 0; kill < 2; ++kill) {
            // Let the current leader fire a few runs, then kill it mid-stream.
            std::size_t before = total(stored_counts(c));
            REQUIRE(test::eventually([&] { return total(stored_counts(c)) >= before + 2 * schedules; }, 20s));
            pid_t victim = *leader_pid(c);
            REQUIRE(children.count(victim) == 1);
            ::kill(victim, SIGKILL);
            auto killed_at = std::chrono::steady_clock::now();
            ::waitpid(victim, nullptr, 0);
            children[victim] = false;
            REQUIRE(test::eventually(
                [&] {
                    auto now = leader_pid(c);
                    return now && *now != victim;
                },
                20s));
            takeovers.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - killed_at).count());
            std::printf("fault: killed leader pid %d; pid %d took over after %.2f s\n", static_cast<int>(victim),
                        static_cast<int>(*leader_pid(c)), takeovers.back());
        }
        // The survivor fires the rest; the last run of each schedule removes it.
        REQUIRE(test::eventually([&] { return ScheduleStore(c).list().empty(); }, 45s));
    } catch (...) {
        cleanup();
        throw;
    }
    cleanup();

    auto counts = stored_counts(c);
    int missing = 0;
    int doubled = 0;
    int expected = 0;
    for (const auto& id : ids) {
        for (int k = 0; k < runs; ++k) {
            ++expected;
            auto it = counts.find(id + "_" + std::to_string(start_ms + 1000LL * k));
            if (it == counts.end()) {
                ++missing;
            } else if (it->second > 1) {
                ++doubled;
            }
        }
    }
    std::printf("fault: %d runs due, %zu jobs stored, %zu distinct ids, %d missing, %d doubled\n", expected,
                total(counts), counts.size(), missing, doubled);
    CHECK(missing == 0);
    CHECK(doubled == 0);
    CHECK(total(counts) == static_cast<std::size_t>(expected));  // nothing else was fired either
    // A standby takes over once the dead leader's lease expires (2 s TTL, renewed every 500 ms):
    // a loose upper bound, 5 times the TTL.
    for (double t : takeovers) CHECK(t <= 5 * 2.0);
}
