// The metrics registry and its Prometheus text rendering.
#include "naq/metrics.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "naq/errors.hpp"

namespace naq::metrics {

namespace {

enum class Kind { counter, gauge, histogram };

const char* kind_name(Kind k) {
    switch (k) {
        case Kind::counter: return "counter";
        case Kind::gauge: return "gauge";
        case Kind::histogram: break;
    }
    return "histogram";
}

bool valid_name(std::string_view name, bool allow_colon) {
    if (name.empty()) return false;
    for (std::size_t i = 0; i < name.size(); ++i) {
        char c = name[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (allow_colon && c == ':') ||
                  (i > 0 && c >= '0' && c <= '9');
        if (!ok) return false;
    }
    return true;
}

std::string number(double v) {
    if (std::isnan(v)) return "NaN";
    if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
    return fmt::format("{}", v);
}

void escape_into(std::string& out, std::string_view s, bool quote) {
    for (char c : s) {
        if (c == '\\') {
            out += "\\\\";
        } else if (c == '\n') {
            out += "\\n";
        } else if (quote && c == '"') {
            out += "\\\"";
        } else {
            out += c;
        }
    }
}

// `{a="x",b="y"}` with an optional extra label (le) last; "" when there are none.
std::string label_text(const Labels& labels, std::string_view extra_name = {}, std::string_view extra_value = {}) {
    if (labels.empty() && extra_name.empty()) return {};
    std::string out = "{";
    bool first = true;
    auto add = [&](std::string_view k, std::string_view v) {
        if (!first) out += ',';
        first = false;
        out += k;
        out += "=\"";
        escape_into(out, v, true);
        out += '"';
    };
    for (const auto& [k, v] : labels) add(k, v);
    if (!extra_name.empty()) add(extra_name, extra_value);
    out += '}';
    return out;
}

}  // namespace

// ---- Histogram

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)), buckets_(new std::atomic<uint64_t>[bounds_.size() + 1]) {
    std::sort(bounds_.begin(), bounds_.end());
    for (std::size_t i = 0; i <= bounds_.size(); ++i) buckets_[i].store(0);
}

void Histogram::observe(double value) {
    std::size_t i = static_cast<std::size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), value) - bounds_.begin());
    buckets_[i].fetch_add(1, std::memory_order_relaxed);
    sum_.fetch_add(value, std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::snapshot() const {
    Snapshot s;
    s.bounds = bounds_;
    uint64_t running = 0;
    for (std::size_t i = 0; i <= bounds_.size(); ++i) {
        running += buckets_[i].load(std::memory_order_relaxed);
        s.cumulative.push_back(running);
    }
    s.count = running;
    s.sum = sum_.load(std::memory_order_relaxed);
    return s;
}

const std::vector<double>& duration_buckets() {
    static const std::vector<double> b{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
    return b;
}

// ---- Registry

struct Registry::Family {
    std::string help;
    Kind kind = Kind::counter;
    std::vector<double> bounds;
    std::map<Labels, std::unique_ptr<Counter>> counters;
    std::map<Labels, std::unique_ptr<Gauge>> gauges;
    std::map<Labels, std::unique_ptr<Histogram>> histograms;
};

struct Registry::Impl {
    mutable std::mutex mutex;
    std::map<std::string, Family, std::less<>> families;
    mutable std::mutex hooks_mutex;
    std::map<uint64_t, std::function<void()>> hooks;
    uint64_t next_hook = 1;

    Family& family(std::string_view name, std::string_view help, Kind kind, const Labels& labels) {
        auto it = families.find(name);
        if (it == families.end()) {
            if (!valid_name(name, true)) throw InvalidArgument("metric name '" + std::string(name) + "' is not valid");
            for (const auto& [k, v] : labels) {
                if (!valid_name(k, false) || k == "le") {
                    throw InvalidArgument("label name '" + k + "' of metric " + std::string(name) + " is not valid");
                }
            }
            it = families.emplace(std::string(name), Family{}).first;
            it->second.help = std::string(help);
            it->second.kind = kind;
        } else if (it->second.kind != kind) {
            throw InvalidArgument("metric " + std::string(name) + " is a " + kind_name(it->second.kind) + ", not a " +
                                  kind_name(kind));
        }
        return it->second;
    }
};

Registry::Registry() : impl_(std::make_unique<Impl>()) {}
Registry::~Registry() = default;

Counter& Registry::counter(std::string_view name, std::string_view help, const Labels& labels) {
    std::lock_guard lock(impl_->mutex);
    auto& slot = impl_->family(name, help, Kind::counter, labels).counters[labels];
    if (!slot) slot = std::make_unique<Counter>();
    return *slot;
}

Gauge& Registry::gauge(std::string_view name, std::string_view help, const Labels& labels) {
    std::lock_guard lock(impl_->mutex);
    auto& slot = impl_->family(name, help, Kind::gauge, labels).gauges[labels];
    if (!slot) slot = std::make_unique<Gauge>();
    return *slot;
}

Histogram& Registry::histogram(std::string_view name, std::string_view help, const Labels& labels,
                               const std::vector<double>& bounds) {
    std::lock_guard lock(impl_->mutex);
    Family& f = impl_->family(name, help, Kind::histogram, labels);
    if (f.histograms.empty()) f.bounds = bounds;  // one bucket layout per family
    auto& slot = f.histograms[labels];
    if (!slot) slot = std::make_unique<Histogram>(f.bounds);
    return *slot;
}

uint64_t Registry::add_hook(std::function<void()> fn) {
    std::lock_guard lock(impl_->hooks_mutex);
    uint64_t id = impl_->next_hook++;
    impl_->hooks.emplace(id, std::move(fn));
    return id;
}

void Registry::remove_hook(uint64_t handle) {
    std::lock_guard lock(impl_->hooks_mutex);
    impl_->hooks.erase(handle);
}

std::string Registry::render() const {
    {
        std::lock_guard lock(impl_->hooks_mutex);
        for (const auto& [id, fn] : impl_->hooks) {
            try {
                fn();
            } catch (...) {
                // A failing hook leaves its values as they were.
            }
        }
    }
    std::string out;
    std::lock_guard lock(impl_->mutex);
    for (const auto& [name, f] : impl_->families) {
        out += "# HELP " + name + " ";
        escape_into(out, f.help, false);
        out += "\n# TYPE " + name + " " + kind_name(f.kind) + "\n";
        for (const auto& [labels, c] : f.counters) out += name + label_text(labels) + " " + number(c->value()) + "\n";
        for (const auto& [labels, g] : f.gauges) out += name + label_text(labels) + " " + number(g->value()) + "\n";
        for (const auto& [labels, h] : f.histograms) {
            auto s = h->snapshot();
            for (std::size_t i = 0; i < s.bounds.size(); ++i) {
                out += name + "_bucket" + label_text(labels, "le", number(s.bounds[i])) + " " +
                       std::to_string(s.cumulative[i]) + "\n";
            }
            out += name + "_bucket" + label_text(labels, "le", "+Inf") + " " + std::to_string(s.count) + "\n";
            out += name + "_sum" + label_text(labels) + " " + number(s.sum) + "\n";
            out += name + "_count" + label_text(labels) + " " + std::to_string(s.count) + "\n";
        }
    }
    return out;
}

Registry& registry() {
    static Registry instance;
    return instance;
}

void record_schedule_fired(std::string_view queue, std::chrono::milliseconds lateness) {
    static Histogram& late =
        registry().histogram("naq_scheduler_lateness_seconds", "How late schedules fired (fire time minus due time)",
                             {}, {0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 30, 60, 300});
    late.observe(std::chrono::duration<double>(std::max(lateness, std::chrono::milliseconds(0))).count());
    registry()
        .counter("naq_schedules_fired_total", "Schedule firings (jobs enqueued by the scheduler)",
                 {{"queue", std::string(queue)}})
        .inc();
}

}  // namespace naq::metrics
