#include "core/enqueue_batch.hpp"

#include <charconv>

#include "core/json_fields.hpp"
#include "naq/errors.hpp"

namespace naq::detail {

namespace {

constexpr std::size_t kPrefixLength = 30;  // "xxxxxxxx-xxxx-7xxx-yxxx-xxxxxx": 50 random bits
constexpr std::size_t kIdLength = 36;
constexpr std::string_view kKeyPrefix = "batch-";
constexpr std::string_view kWhat = "batch status record";

bool is_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

std::optional<uint32_t> counter_of(std::string_view job_id) {
    uint32_t value = 0;
    auto digits = job_id.substr(kPrefixLength);
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value, 16);
    if (ec != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
    return value;
}

uint32_t run_bound(const Json& run, const char* field) {
    const Json* v = json_fields::find(run, field);
    if (v == nullptr || !v->is_number_unsigned()) json_fields::bad_field(kWhat, field, "of a run must be a counter");
    return v->get<uint32_t>();
}

}  // namespace

BatchIds::BatchIds() : prefix_(new_job_id().substr(0, kPrefixLength)) {}

std::string BatchIds::next() {
    if (count_ >= kMaxJobs) throw InvalidArgument("a batch holds at most 16777216 jobs");
    static constexpr char hex[] = "0123456789abcdef";
    std::string id = prefix_;
    id.resize(kIdLength);
    std::size_t v = count_++;
    for (std::size_t i = kIdLength; i-- > kPrefixLength; v >>= 4) id[i] = hex[v & 0xf];
    return id;
}

std::string BatchIds::key() const { return std::string(kKeyPrefix) + prefix_; }

std::optional<std::string> batch_key_of(std::string_view job_id) {
    if (job_id.size() != kIdLength || job_id[14] != '7') return std::nullopt;
    for (std::size_t i = 0; i < kIdLength; ++i) {
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? job_id[i] != '-' : !is_hex(job_id[i])) return std::nullopt;
    }
    return std::string(kKeyPrefix) + std::string(job_id.substr(0, kPrefixLength));
}

void BatchManifest::add(uint32_t counter, const std::string& task, int max_attempts) {
    if (!runs.empty() && runs.back().task == task && runs.back().max_attempts == max_attempts &&
        runs.back().last + 1 == counter) {
        runs.back().last = counter;
        return;
    }
    runs.push_back({counter, counter, task, max_attempts});
}

std::string encode(const BatchManifest& m) {
    Json runs = Json::array();
    for (const auto& r : m.runs) {
        runs.push_back({{"first", r.first}, {"last", r.last}, {"task", r.task}, {"max_attempts", r.max_attempts}});
    }
    Json j = {{"v", kWireVersion},
              {"kind", "batch"},
              {"queue", m.queue},
              {"enqueued_at", m.enqueued_at_ms},
              {"runs", std::move(runs)}};
    return j.dump();
}

BatchManifest decode_manifest(std::string_view text) {
    using namespace json_fields;
    Json j = parse(text, kWhat);
    if (opt_string(j, "kind", kWhat) != "batch") bad_field(kWhat, "kind", "must be \"batch\"");
    BatchManifest m;
    m.queue = req_string(j, "queue", kWhat);
    m.enqueued_at_ms = opt_int(j, "enqueued_at", kWhat);
    const Json* runs = find(j, "runs");
    if (runs == nullptr || !runs->is_array()) bad_field(kWhat, "runs", "must be an array");
    for (const auto& r : *runs) {
        if (!r.is_object()) bad_field(kWhat, "runs", "must hold objects");
        m.runs.push_back({run_bound(r, "first"), run_bound(r, "last"), req_string(r, "task", kWhat),
                          static_cast<int>(opt_int(r, "max_attempts", kWhat, 1))});
    }
    return m;
}

std::optional<JobStatus> status_in(const BatchManifest& m, std::string_view job_id) {
    auto counter = job_id.size() == kIdLength ? counter_of(job_id) : std::nullopt;
    if (!counter) return std::nullopt;
    for (const auto& run : m.runs) {
        if (*counter < run.first || *counter > run.last) continue;
        JobStatus s;
        s.id = std::string(job_id);
        s.queue = m.queue;
        s.task = run.task;
        s.state = JobState::queued;
        s.max_attempts = run.max_attempts;
        s.enqueued_at_ms = m.enqueued_at_ms;
        s.updated_at_ms = m.enqueued_at_ms;
        return s;
    }
    return std::nullopt;
}

}  // namespace naq::detail
