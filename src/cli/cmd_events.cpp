// naq events [--follow | --summary] [--job ID] [--queue Q] [--type T] [--since 10m] [--json]
#include <atomic>
#include <iostream>
#include <map>

#include "cli.hpp"
#include "naq/durations.hpp"
#include "naq/errors.hpp"
#include "naq/events.hpp"
#include "views.hpp"

namespace naq::cli {

namespace {

std::string missing_events_line(const EventGaps& gaps) {
    return std::to_string(gaps.events) + " events from " + std::to_string(gaps.sources) + " publishers; " +
           std::to_string(gaps.missing) + " missing (numbers skipped in a publisher's sequence: events lost)";
}

void print_event_summary(const std::vector<Event>& events, bool unfiltered, bool json) {
    std::map<std::string, uint64_t> by_type;
    for (const auto& e : events) ++by_type[to_string(e.type)];
    const EventGaps gaps = count_event_gaps(events);
    if (json) {
        Json out{{"events", gaps.events}, {"by_type", by_type}};
        if (unfiltered) {
            out["sources"] = gaps.sources;
            out["missing"] = gaps.missing;
        }
        std::cout << out.dump() << "\n";
        return;
    }
    std::vector<std::vector<std::string>> rows;
    for (const auto& [type, n] : by_type) rows.push_back({type, std::to_string(n)});
    print_table({"TYPE", "EVENTS"}, rows);
    if (unfiltered) {
        std::cout << missing_events_line(gaps) << "\n";
    } else {
        std::cout << gaps.events << " events (lost events are counted only without --job, --queue and --type)\n";
    }
}

}  // namespace

void add_events_commands(CLI::App& app, Globals& g, int& exit_code) {
    struct EventsArgs {
        bool follow = false, summary = false;
        std::string job, queue, type, since;
    };
    auto ea = std::make_shared<EventsArgs>();
    auto* cmd = app.add_subcommand("events", "Replay job, worker and scheduler events; --follow for new ones");
    auto* follow = cmd->add_flag("-f,--follow", ea->follow, "keep printing new events until Ctrl-C");
    cmd->add_flag("--summary", ea->summary,
                  "print counts by type and the events lost (numbers missing in a publisher's "
                  "sequence) instead of the events")
        ->excludes(follow);
    cmd->add_option("-j,--job", ea->job, "only events of this job (or worker / schedule) id");
    cmd->add_option("-q,--queue", ea->queue,
                    "only events of this queue (_worker, _scheduler: worker / scheduler events)");
    cmd->add_option("-t,--type", ea->type,
                    "only events of this type (enqueued, started, succeeded, failed, "
                    "retry_scheduled, dead_lettered, cancelled, schedule_fired, ...)");
    cmd->add_option("-s,--since", ea->since,
                    "start this long ago (e.g. 10m, 2h, 1d); default: every stored "
                    "event, or only new ones with --follow");
    cmd->callback([&g, &exit_code, ea] {
        exit_code = run_guarded([&] {
            Config config = g.load_config();
            EventFilter filter;
            filter.job_id = ea->job;
            filter.queue = ea->queue;
            filter.type = ea->type;
            if (!ea->type.empty()) event_type_from_string(ea->type);  // usage error before connecting
            if (!ea->since.empty()) {
                auto d = parse_duration(ea->since);
                if (!d) throw InvalidArgument("--since: '" + ea->since + "' is not a duration (e.g. 10m)");
                filter.since_ms = now_ms() - d->count();
            } else if (ea->follow) {
                filter.only_new = true;
            }
            auto print = [&g](const Event& e) {
                if (g.json) {
                    Json j = event_to_json(e);
                    j["seq"] = e.sequence;
                    std::cout << j.dump(-1, ' ', false, Json::error_handler_t::replace) << "\n";
                } else {
                    std::cout << format_event(e) << "\n";
                }
            };
            if (!ea->follow) {
                auto events = read_events(config, filter);
                // Gaps in a publisher's numbering say how many events were lost; a filter
                // leaves out numbers of its own, so they are counted on unfiltered reads only.
                const bool unfiltered = ea->job.empty() && ea->queue.empty() && ea->type.empty();
                if (ea->summary) {
                    print_event_summary(events, unfiltered, g.json);
                    return kOk;
                }
                for (const auto& e : events) print(e);
                if (unfiltered && !g.json && !events.empty()) {
                    std::cout << missing_events_line(count_event_gaps(events)) << "\n";
                }
                return kOk;
            }
            std::atomic<bool> stop{false};
            SignalStopper stopper([&stop] { stop = true; });  // before the stream opens a connection
            EventStream stream(config, filter);
            while (!stop.load()) {
                if (auto e = stream.next(Millis(250))) {
                    print(*e);
                    if (stream.caught_up()) std::cout << std::flush;
                } else {
                    std::cout << std::flush;
                }
            }
            return kOk;
        });
    });
}

}  // namespace naq::cli
