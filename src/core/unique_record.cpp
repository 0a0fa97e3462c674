// The unique bucket's record: its JSON codec.
#include "core/unique_record.hpp"

#include "core/json_fields.hpp"
#include "naq/errors.hpp"
#include "naq/names.hpp"

namespace naq::detail {

namespace {
constexpr std::string_view kWhat = "unique record";
}  // namespace

std::string encode(const UniqueRecord& r) {
    return json_fields::dump(Json{{"v", kWireVersion},
                                  {"job", r.job_id},
                                  {"queue", r.queue},
                                  {"at", r.at_ms},
                                  {"until", r.until_ms},
                                  {"mode", to_string(r.until)}});
}

UniqueRecord decode_unique_record(std::string_view text) {
    Json j = json_fields::parse(text, kWhat);
    UniqueRecord r;
    r.job_id = json_fields::req_job_id(j, "job", kWhat);
    r.queue = json_fields::opt_string(j, "queue", kWhat);
    r.at_ms = json_fields::opt_int(j, "at", kWhat);
    r.until_ms = json_fields::req_int(j, "until", kWhat);
    const std::string mode = json_fields::opt_string(j, "mode", kWhat);
    r.until = mode.empty() ? UniqueUntil::finished : unique_until_from_string(mode);
    return r;
}

}  // namespace naq::detail
