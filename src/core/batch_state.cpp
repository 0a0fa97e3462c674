// The batch record (batches bucket): its bits and its JSON codec.
#include "core/byte_text.hpp"
#include "core/json_fields.hpp"
#include "core/options_codec.hpp"
#include "naq/batch.hpp"
#include "naq/errors.hpp"
#include "naq/names.hpp"

namespace naq {

namespace {

constexpr std::string_view kWhat = "batch";

uint32_t count_of(const Json& j, const char* field) {
    const int64_t n = json_fields::opt_int(j, field, kWhat);
    if (n < 0 || n > kMaxBatchJobs)
        json_fields::bad_field(kWhat, field, "must be from 0 to " + std::to_string(kMaxBatchJobs));
    return static_cast<uint32_t>(n);
}

}  // namespace

bool BatchState::counted(uint32_t index) const {
    const std::size_t byte = index / 8;
    return byte < done.size() && (static_cast<unsigned char>(done[byte]) >> (index % 8) & 1U) != 0;
}

bool BatchState::mark(uint32_t index) {
    if (index >= total || counted(index)) return false;
    const std::size_t byte = index / 8;
    if (done.size() <= byte) done.resize((total + 7) / 8, '\0');
    done[byte] = static_cast<char>(static_cast<unsigned char>(done[byte]) | (1U << (index % 8)));
    return true;
}

Json to_json(const BatchState& b) {
    Json callback = {{"task", b.callback.task}, {"args", b.callback.args}};
    if (!b.callback.queue.empty()) callback["queue"] = b.callback.queue;
    Json options = codec::options_json(b.callback.options);
    if (!options.empty()) callback["options"] = std::move(options);
    return Json{{"v", kWireVersion},
                {"id", b.id},
                {"queue", b.queue},
                {"total", b.total},
                {"succeeded", b.succeeded},
                {"dead", b.dead},
                {"cancelled", b.cancelled},
                {"skipped", b.skipped},
                {"sealed", b.sealed},
                {"fired", b.fired},
                {"callback", std::move(callback)},
                {"created_at", b.created_at_ms},
                {"completed_at", b.completed_at_ms},
                {"done", detail::base64_encode(b.done)}};
}

std::string encode(const BatchState& b) { return json_fields::dump(to_json(b)); }

BatchState decode_batch_state(std::string_view text) {
    Json j = json_fields::parse(text, kWhat);
    BatchState b;
    b.id = json_fields::req_job_id(j, "id", kWhat);
    b.queue = json_fields::opt_string(j, "queue", kWhat);
    b.total = count_of(j, "total");
    b.succeeded = count_of(j, "succeeded");
    b.dead = count_of(j, "dead");
    b.cancelled = count_of(j, "cancelled");
    b.skipped = count_of(j, "skipped");
    b.sealed = json_fields::opt_bool(j, "sealed", kWhat, false);
    b.fired = json_fields::opt_bool(j, "fired", kWhat, false);
    b.created_at_ms = json_fields::opt_int(j, "created_at", kWhat);
    b.completed_at_ms = json_fields::opt_int(j, "completed_at", kWhat);
    const Json* callback = json_fields::find(j, "callback");
    if (callback == nullptr || !callback->is_object()) json_fields::bad_field(kWhat, "callback", "must be an object");
    b.callback.task = json_fields::req_string(*callback, "task", "batch callback");
    if (const Json* args = json_fields::find(*callback, "args")) b.callback.args = *args;
    b.callback.queue = json_fields::opt_string(*callback, "queue", "batch callback");
    if (const Json* options = json_fields::find(*callback, "options")) {
        b.callback.options = codec::options_from(*options, "batch callback");
    }
    auto done = detail::base64_decode(json_fields::opt_string(j, "done", kWhat));
    if (!done) json_fields::bad_field(kWhat, "done", "must be base64");
    if (done->size() > (b.total + 7) / 8)
        json_fields::bad_field(kWhat, "done", "has more bits than the batch has jobs");
    b.done = std::move(*done);
    return b;
}

}  // namespace naq
