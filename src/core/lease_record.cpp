// The leader lease record's JSON form (docs/wire-format.md).
#include "core/lease_record.hpp"

#include "core/json_fields.hpp"
#include "naq/job.hpp"

namespace naq {

namespace {
constexpr std::string_view kWhat = "scheduler lease";
}  // namespace

std::string encode_lease(const LeaseRecord& r) {
    return Json{{"v", kWireVersion},   {"holder", r.holder},      {"pid", r.pid},          {"host", r.host},
                {"since", r.since_ms}, {"renewed", r.renewed_ms}, {"released", r.released}}
        .dump();
}

LeaseRecord decode_lease(std::string_view text) {
    Json j = json_fields::parse(text, kWhat);
    LeaseRecord r;
    r.holder = json_fields::opt_string(j, "holder", kWhat);
    r.pid = json_fields::opt_int(j, "pid", kWhat);
    r.host = json_fields::opt_string(j, "host", kWhat);
    r.since_ms = json_fields::opt_int(j, "since", kWhat);
    r.renewed_ms = json_fields::opt_int(j, "renewed", kWhat);
    r.released = json_fields::opt_bool(j, "released", kWhat, false);
    return r;
}

}  // namespace naq
