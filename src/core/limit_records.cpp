// The limits bucket's records: their JSON codec.
#include "core/limit_records.hpp"

#include "core/json_fields.hpp"
#include "naq/errors.hpp"

namespace naq::detail {

namespace {

constexpr std::string_view kRateWhat = "rate window";
constexpr std::string_view kRunningWhat = "running jobs record";
// More holders than any deployment has workers, more jobs than any limit allows, times past
// the year 9999: a record past them was not written by naq (and sums of them cannot overflow).
constexpr std::size_t kMaxHolders = 100'000;
constexpr int64_t kMaxCount = 1'000'000'000'000;
constexpr int64_t kMaxTimeMs = 253'402'300'799'999;

int64_t bounded(const Json& j, const char* field, std::string_view what, int64_t max) {
    int64_t v = json_fields::req_int(j, field, what);
    if (v < 0 || v > max) json_fields::bad_field(what, field, "is out of range");
    return v;
}

}  // namespace

std::string encode(const RateWindow& w) {
    return json_fields::dump(Json{{"v", kWireVersion}, {"w", w.window_ms}, {"n", w.used}});
}

RateWindow decode_rate_window(std::string_view text) {
    Json j = json_fields::parse(text, kRateWhat);
    RateWindow w;
    w.window_ms = bounded(j, "w", kRateWhat, kMaxTimeMs);
    w.used = bounded(j, "n", kRateWhat, kMaxCount);
    return w;
}

int64_t RunningHolders::held_by_others(const std::string& but, int64_t now_ms) const {
    int64_t n = 0;
    for (const auto& [id, h] : holders) {
        if (id != but && h.until_ms > now_ms) n += h.jobs;
    }
    return n;
}

void RunningHolders::drop_lapsed(int64_t now_ms) {
    std::erase_if(holders, [now_ms](const auto& kv) { return kv.second.until_ms <= now_ms; });
}

std::string encode(const RunningHolders& r) {
    Json holders = Json::object();
    for (const auto& [id, h] : r.holders) holders[id] = Json{{"n", h.jobs}, {"until", h.until_ms}};
    return json_fields::dump(Json{{"v", kWireVersion}, {"holders", std::move(holders)}});
}

RunningHolders decode_running_holders(std::string_view text) {
    Json j = json_fields::parse(text, kRunningWhat);
    const Json* holders = json_fields::find(j, "holders");
    if (holders == nullptr) json_fields::bad_field(kRunningWhat, "holders", "is missing");
    if (!holders->is_object()) json_fields::bad_field(kRunningWhat, "holders", "must be an object");
    if (holders->size() > kMaxHolders) json_fields::bad_field(kRunningWhat, "holders", "has too many entries");
    RunningHolders r;
    for (const auto& [id, h] : holders->items()) {
        if (!h.is_object()) json_fields::bad_field(kRunningWhat, "holders", "must map worker ids to objects");
        r.holders.emplace(id, RunningHolders::Holder{bounded(h, "n", kRunningWhat, kMaxCount),
                                                     bounded(h, "until", kRunningWhat, kMaxTimeMs)});
    }
    return r;
}

}  // namespace naq::detail
