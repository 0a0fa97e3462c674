#include "event_batching.hpp"

#include <algorithm>
#include <map>
#include <tuple>
#include <unordered_map>

#include "naq/errors.hpp"
#include "naq/names.hpp"

namespace naq::detail {

namespace {

constexpr std::string_view kBatchToken = "_batch";

bool is_worker_event(EventType t) { return t == EventType::worker_started || t == EventType::worker_stopped; }
bool is_schedule_event(EventType t) {
    return t == EventType::schedule_fired || t == EventType::schedule_paused || t == EventType::schedule_resumed;
}

struct Group {
    std::vector<const Item*> items;
    std::size_t bytes = 0;
};

Outgoing to_message(const Config& config, const Group& g) {
    Outgoing out;
    const Item& first = *g.items.front();
    out.events = g.items.size();
    if (g.items.size() == 1) {
        out.subject = names::event_subject(config, first.queue, first.type, first.id);
        out.payload = first.json;
        return out;
    }
    out.subject = names::event_subject(config, first.queue, first.type, kBatchToken);
    std::vector<std::string_view> encoded;
    encoded.reserve(g.items.size());
    for (const Item* item : g.items) encoded.push_back(item->json);
    out.payload = encode_event_batch(encoded, g.bytes);
    return out;
}

}  // namespace

Item make_item(const Event& e) {
    Item item;
    item.type = to_string(e.type);
    if (is_worker_event(e.type)) {
        item.queue = std::string(names::kWorkerEventsQueue);
        item.id = names::to_token(e.worker);
    } else if (is_schedule_event(e.type)) {
        item.queue = std::string(names::kSchedulerEventsQueue);
        item.id = names::to_token(e.schedule_id);
    } else {
        item.queue = names::to_token(e.queue);
        item.id = names::to_token(e.job_id);
    }
    item.json = encode_event(e);
    return item;
}

std::vector<Outgoing> group(const Config& config, const std::vector<Item>& items, std::size_t max_events,
                            std::size_t max_bytes) {
    // Each event's level is one more than the level of the previous event of its id in this
    // slice (0 for the first). Messages go out level by level, so every id's events keep their
    // order; within a level an id has at most one event, and events of one queue and type share
    // a message. A slice of fast jobs needs about three messages per queue.
    std::unordered_map<std::string_view, std::size_t> level_of;
    std::map<std::tuple<std::size_t, std::string_view, std::string_view>, std::vector<Group>> groups;
    std::vector<std::tuple<std::size_t, std::string_view, std::string_view>> order;  // first appearance
    for (const Item& item : items) {
        std::size_t level = 0;
        if (auto it = level_of.find(item.id); it != level_of.end()) level = it->second + 1;
        level_of[item.id] = level;
        auto key = std::make_tuple(level, std::string_view(item.queue), std::string_view(item.type));
        auto& chain = groups[key];
        if (chain.empty()) order.push_back(key);
        if (chain.empty() || chain.back().items.size() >= max_events ||
            chain.back().bytes + item.json.size() > max_bytes) {
            chain.emplace_back();
        }
        chain.back().items.push_back(&item);
        chain.back().bytes += item.json.size() + 1;
    }
    std::stable_sort(order.begin(), order.end(),
                     [](const auto& a, const auto& b) { return std::get<0>(a) < std::get<0>(b); });
    std::vector<Outgoing> out;
    for (const auto& key : order) {
        for (const auto& g : groups[key]) out.push_back(to_message(config, g));
    }
    return out;
}

}  // namespace naq::detail
