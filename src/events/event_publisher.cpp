// EventPublisher: asynchronous publishes to the events stream that never block or throw into
// the job path, and the stream's setup. A batching publisher gathers events for
// events.batch_window on its own thread and sends them grouped (event_batching.hpp): one stored
// message per event would cost the job path far more than the 10 % it may take.
#include <spdlog/spdlog.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <set>
#include <thread>

#include "core/instance_id.hpp"
#include "event_batching.hpp"
#include "naq/errors.hpp"
#include "naq/events.hpp"
#include "naq/names.hpp"

namespace naq {

namespace {

std::atomic<uint64_t> g_dropped{0};
std::atomic<int64_t> g_last_warning_ms{0};
constexpr int64_t kWarnEveryMs = 60'000;
constexpr std::size_t kMaxBuffered = 100'000;  // beyond this (server unreachable) events are dropped

void warn_dropped(const std::string& what, const char* why) {
    int64_t now = now_ms();
    int64_t last = g_last_warning_ms.load();
    if (now - last < kWarnEveryMs || !g_last_warning_ms.compare_exchange_strong(last, now)) return;
    spdlog::warn("events: dropped {} ({}); {} dropped so far", what, why, g_dropped.load());
}

void send(const Config& config, const JetStream& js, const std::vector<detail::Item>& items) noexcept {
    if (items.empty()) return;
    for (auto& m : detail::group(config, items)) {
        try {
            js.publish_async(m.subject, m.payload);
        } catch (const std::exception& e) {
            g_dropped.fetch_add(m.events);
            warn_dropped(std::to_string(m.events) + " event(s) for " + m.subject, e.what());
        }
    }
}

// Every event this process publishes is numbered, so that a reader can count the ones lost.
void stamp(Event& e) {
    static const std::string source = detail::make_instance_id("");
    static std::atomic<uint64_t> last_number{0};
    if (e.at_ms == 0) e.at_ms = now_ms();
    e.source = source;
    e.source_seq = last_number.fetch_add(1, std::memory_order_relaxed) + 1;
}

}  // namespace

void ensure_events_stream(const Config& config) {
    static std::mutex mutex;
    static std::set<std::string> done;
    std::string key = config.jetstream.prefix + "|" + std::to_string(config.events.max_age.count());
    for (const auto& s : config.nats.servers) key += "|" + s;
    std::lock_guard lock(mutex);
    if (done.count(key) != 0) return;
    StreamSpec spec;
    spec.name = names::events_stream(config);
    spec.subjects = {names::all_events_subject(config)};
    spec.retention = Retention::limits;
    spec.max_age = config.events.max_age;
    spec.storage = config.jetstream.storage;
    spec.replicas = config.jetstream.replicas;
    spec.description = "naq job, worker and scheduler events";
    jetstream(config).ensure_stream(spec);
    done.insert(key);
}

/// The batching publisher's buffer and sending thread.
struct EventPublisher::Batcher {
    Batcher(std::shared_ptr<const Config> cfg, JetStream stream)
        : config(std::move(cfg)), js(std::move(stream)), window(config->events.batch_window) {
        thread = std::thread([this] { loop(); });
    }
    ~Batcher() {
        {
            std::lock_guard lock(mutex);
            stop = true;
        }
        cv.notify_all();
        thread.join();
        send_now();
    }

    void add(detail::Item item) {
        bool wake = false;
        {
            std::lock_guard lock(mutex);
            if (buffer.size() >= kMaxBuffered) {
                g_dropped.fetch_add(1);
                warn_dropped("an event", "too many waiting to be sent");
                return;
            }
            buffer.push_back(std::move(item));
            wake = buffer.size() == 1 || buffer.size() >= 1000;
        }
        if (wake) cv.notify_all();
    }

    // Sends everything buffered from the calling thread. Sends are serialised so that each
    // takes the next slice of the event sequence: order is kept across threads.
    void send_now() noexcept {
        std::lock_guard send_lock(send_mutex);
        std::vector<detail::Item> items;
        {
            std::lock_guard lock(mutex);
            items.swap(buffer);
        }
        send(*config, js, items);
    }

    void loop() {
        std::unique_lock lock(mutex);
        while (!stop) {
            cv.wait(lock, [this] { return stop || !buffer.empty(); });
            if (stop) break;
            // Gather for one window (or until the buffer is large), then send.
            cv.wait_for(lock, window, [this] { return stop || buffer.size() >= 1000; });
            lock.unlock();
            send_now();
            lock.lock();
        }
    }

    std::shared_ptr<const Config> config;
    JetStream js;
    Millis window;
    std::mutex send_mutex;
    std::mutex mutex;
    std::condition_variable cv;
    std::vector<detail::Item> buffer;
    bool stop = false;
    std::thread thread;
};

EventPublisher::EventPublisher(const Config& config, bool batched) : config_(std::make_shared<const Config>(config)) {
    if (!config.events.enabled) return;
    try {
        ensure_events_stream(config);
        js_.emplace(jetstream(config));
    } catch (const Error& e) {
        // Events must not stop jobs: without the stream this publisher sends nothing.
        spdlog::warn("events: cannot set up stream {} ({}); events from this publisher are not sent",
                     names::events_stream(config), e.what());
        return;
    }
    if (batched && config.events.batch_window.count() > 0) batcher_ = std::make_shared<Batcher>(config_, *js_);
}

EventPublisher::~EventPublisher() = default;

void EventPublisher::publish(Event event) const noexcept {
    if (!js_) return;
    try {
        stamp(event);
        detail::Item item = detail::make_item(event);
        if (batcher_) {
            batcher_->add(std::move(item));
        } else {
            send(*config_, *js_, {std::move(item)});
        }
    } catch (const std::exception& e) {
        g_dropped.fetch_add(1);
        warn_dropped(std::string("a ") + to_string(event.type) + " event", e.what());
    }
}

void EventPublisher::publish_now(std::vector<Event> events) const noexcept {
    if (!js_ || events.empty()) return;
    try {
        send_now();  // what is buffered goes first
        std::vector<detail::Item> items;
        items.reserve(events.size());
        for (Event& e : events) {
            stamp(e);
            items.push_back(detail::make_item(e));
        }
        send(*config_, *js_, items);
    } catch (const std::exception& e) {
        g_dropped.fetch_add(events.size());
        warn_dropped(std::to_string(events.size()) + " event(s)", e.what());
    }
}

void EventPublisher::send_now() const noexcept {
    if (batcher_) batcher_->send_now();
}

bool EventPublisher::flush(Millis timeout) const noexcept {
    if (!js_) return true;
    send_now();
    try {
        js_->flush_async(timeout);
        return true;
    } catch (const std::exception& e) {
        spdlog::warn("events: not every event was acknowledged within {} ms: {}", timeout.count(), e.what());
        return false;
    }
}

uint64_t EventPublisher::dropped() { return g_dropped.load(); }

}  // namespace naq
